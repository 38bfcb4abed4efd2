//! `hubctl rabbitmq …`: prepare a broker for the hub (`setup`: vhost, least-privilege
//! department users, the hub user, the topology) and export the topology as RabbitMQ
//! definitions (`definitions`, committed as `ops/rabbitmq/definitions.json`).
//!
//! Invariant: both commands take the topology from `hub::transport::amqp::topology`, the
//! code the hub itself declares at start, so the three never disagree.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use contracts::model::Actor;
use hub::transport::amqp::topology::definitions_json;
use hub::transport::amqp::{AmqpConfig, AmqpTransport, BrokerUser, ManagementClient, ValidatedUrl};
use serde::Deserialize;

/// The `rabbitmq` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum RabbitmqCommand {
    /// Create or update the vhost, the department users (least privileges), the hub user,
    /// and declare the topology as the hub user.
    Setup {
        /// Management API base URL.
        #[arg(long, default_value = "http://127.0.0.1:15672", value_name = "URL")]
        management_url: String,
        /// Administrator of the management API.
        #[arg(long, default_value = "guest")]
        admin_user: String,
        /// Password of the administrator.
        #[arg(long, default_value = "guest")]
        admin_password: String,
        /// The vhost to prepare (created if absent).
        #[arg(long, default_value = "/")]
        vhost: String,
        /// TOML file of `[[user]]` entries (department, username, password), one with
        /// `department = "HUB"`.
        #[arg(long, value_name = "FILE")]
        users: PathBuf,
        /// Broker address for declaring the topology; the hub user's credentials and the
        /// vhost replace whatever the URL names.
        #[arg(long, default_value = "amqp://127.0.0.1:5672", value_name = "URL")]
        amqp_url: String,
        #[command(flatten)]
        topology: TopologyArgs,
    },
    /// Write the RabbitMQ definitions (topology, users without passwords, permissions).
    Definitions {
        /// The vhost the definitions are for.
        #[arg(long, default_value = "/")]
        vhost: String,
        /// Output file (default: standard output).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Take user names from this users file (passwords are ignored); default: the
        /// lower-case department codes and `hub`.
        #[arg(long, value_name = "FILE")]
        users: Option<PathBuf>,
        #[command(flatten)]
        topology: TopologyArgs,
    },
}

/// Topology settings that must match the hub's `[transport.amqp]`.
#[derive(Debug, Args)]
pub(crate) struct TopologyArgs {
    /// `x-delivery-limit` of the work queues (default: the hub's default).
    #[arg(long)]
    delivery_limit: Option<u32>,
    /// Retry steps in milliseconds, comma-separated (default: the hub's default).
    #[arg(long, value_delimiter = ',', value_name = "MS,MS,…")]
    retry_delays_ms: Option<Vec<u64>>,
}

impl TopologyArgs {
    fn config(&self) -> AmqpConfig {
        let mut config = AmqpConfig::default();
        if let Some(limit) = self.delivery_limit {
            config.delivery_limit = limit;
        }
        if let Some(delays) = &self.retry_delays_ms {
            config.retry_delays_ms.clone_from(delays);
        }
        config
    }
}

/// The users file: `[[user]]` tables.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UsersFile {
    #[serde(rename = "user", default)]
    users: Vec<BrokerUser>,
}

pub(crate) fn run(command: RabbitmqCommand) -> Result<ExitCode> {
    match command {
        RabbitmqCommand::Setup {
            management_url,
            admin_user,
            admin_password,
            vhost,
            users,
            amqp_url,
            topology,
        } => {
            let users = read_users(&users, true)?;
            let admin = ManagementClient::new(&management_url, &admin_user, &admin_password)?;
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("cannot start the async runtime")?;
            runtime.block_on(setup(&admin, &vhost, &users, &amqp_url, topology.config()))?;
            Ok(ExitCode::SUCCESS)
        }
        RabbitmqCommand::Definitions {
            vhost,
            out,
            users,
            topology,
        } => {
            let users = match users {
                Some(file) => read_users(&file, false)?,
                None => default_users(),
            };
            write_definitions(&vhost, &users, &topology.config(), out.as_deref())?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Reads and checks a users file: one hub user, each department at most once, unique
/// names, and (for setup) a password for everyone.
fn read_users(path: &Path, need_passwords: bool) -> Result<Vec<BrokerUser>> {
    let text =
        fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let file: UsersFile =
        toml::from_str(&text).with_context(|| format!("{} is not a users file", path.display()))?;
    let users = file.users;
    if users.iter().filter(|u| u.department == Actor::Hub).count() != 1 {
        bail!(
            "{}: need exactly one user with department = \"HUB\"",
            path.display()
        );
    }
    let mut departments = BTreeSet::new();
    let mut names = BTreeSet::new();
    for user in &users {
        if !departments.insert(user.department) {
            bail!(
                "{}: department {} appears twice",
                path.display(),
                user.department.as_str()
            );
        }
        if user.username.is_empty() || !names.insert(user.username.as_str()) {
            bail!(
                "{}: user name {:?} is empty or repeated",
                path.display(),
                user.username
            );
        }
        if need_passwords && user.password.is_empty() {
            bail!("{}: user {} has no password", path.display(), user.username);
        }
    }
    Ok(users)
}

/// One user per department plus `hub`, named by convention, without passwords.
fn default_users() -> Vec<BrokerUser> {
    Actor::DEPARTMENTS
        .to_vec()
        .into_iter()
        .chain([Actor::Hub])
        .map(|department| BrokerUser {
            department,
            username: BrokerUser::default_username(department),
            password: String::new(),
        })
        .collect()
}

fn write_definitions(
    vhost: &str,
    users: &[BrokerUser],
    config: &AmqpConfig,
    out: Option<&Path>,
) -> Result<()> {
    config.validate()?;
    let definitions = definitions_json(vhost, &Actor::DEPARTMENTS, users, config);
    let mut text = serde_json::to_string_pretty(&definitions)?;
    text.push('\n');
    match out {
        Some(path) => {
            fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
            println!(
                "definitions for vhost {vhost:?} written to {}",
                path.display()
            );
        }
        None => print!("{text}"),
    }
    Ok(())
}

async fn setup(
    admin: &ManagementClient,
    vhost: &str,
    users: &[BrokerUser],
    amqp_url: &str,
    mut config: AmqpConfig,
) -> Result<()> {
    admin
        .create_vhost(vhost)
        .await
        .with_context(|| format!("cannot create vhost {vhost:?}"))?;
    println!("vhost {vhost:?}: present");
    for user in users {
        let existed = admin.user_exists(&user.username).await?;
        admin
            .apply_user(vhost, user)
            .await
            .with_context(|| format!("cannot set up user {}", user.username))?;
        let verb = if existed { "updated" } else { "created" };
        let scope = if user.department == Actor::Hub {
            "full permissions on the vhost".to_owned()
        } else {
            let code = user.department.as_str();
            format!("publishes {code}.* to hub.ingress, reads deliver.{code}")
        };
        println!(
            "user {} ({}): {verb}; {scope}",
            user.username,
            user.department.as_str()
        );
    }
    let hub_user = users
        .iter()
        .find(|u| u.department == Actor::Hub)
        .context("no hub user")?;
    config.url = ValidatedUrl::parse(amqp_url)?
        .with_login(&hub_user.username, &hub_user.password, vhost)
        .to_url_string();
    config.connection_name = "hubctl rabbitmq setup".to_owned();
    let transport = AmqpTransport::connect(config, Actor::DEPARTMENTS.to_vec())
        .await
        .context("cannot declare the topology as the hub user")?;
    transport.shutdown().await;
    println!("topology: declared as {}", hub_user.username);
    Ok(())
}
