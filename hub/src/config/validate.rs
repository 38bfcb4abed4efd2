//! Validation: every problem of a loaded configuration, each with its config path and a
//! sentence, checked against the contract registry.
//!
//! Invariants: pure — no file, network, clock or environment access, so `hub check-config`
//! and start-up give the same answer anywhere; never stops at the first problem; the order of
//! problems follows the file (sections, then departments by code, then routes by index, then
//! the deadline calendar and rules by index).

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;

use contracts::Registry;
use contracts::catalogue::MessageType;
use contracts::model::Actor;

use super::departments::is_token_hash;
use super::routes::{JsonPointerPattern, Predicate, Recipient, Segment};
use super::{ConfigProblem, HubConfig};
use crate::deadlines::escalation::{Placeholder, placeholders};
use crate::deadlines::rules::{
    ClockStart, DeadlineRule, Escalation, Matcher, calendar_problems, is_rule_name,
};

/// The wire name of the hub's refusal notice, which only the hub sends.
const HUB_REJECTED: &str = MessageType::HubRejected.as_str();

impl HubConfig {
    /// Checks the configuration against the contract `registry`: `Ok(())`, or every problem
    /// found. Pure: no I/O.
    pub fn validate(&self, registry: &Registry) -> Result<(), Vec<ConfigProblem>> {
        let mut v = Validator::new(self, registry);
        v.transport();
        v.http();
        v.store();
        v.pipeline();
        v.departments();
        v.authorization();
        v.routes();
        v.deadlines();
        v.identity();
        if v.problems.is_empty() {
            Ok(())
        } else {
            Err(v.problems)
        }
    }
}

struct Validator<'a> {
    /// What is checked.
    config: &'a HubConfig,
    /// The contract catalogue it is checked against.
    registry: &'a Registry,
    /// Every `x-pii` kind of the catalogue.
    pii_kinds: BTreeSet<String>,
    /// The top-level fields of the envelope, if the envelope schema is known.
    envelope_fields: Option<BTreeSet<String>>,
    /// The envelope's `purpose_code` values (empty if unknown).
    purpose_codes: BTreeSet<String>,
    /// The envelope's `legal_basis` values (empty if unknown).
    legal_bases: BTreeSet<String>,
    /// Everything found so far, in file order.
    problems: Vec<ConfigProblem>,
}

impl<'a> Validator<'a> {
    fn new(config: &'a HubConfig, registry: &'a Registry) -> Self {
        let pii_kinds = registry
            .contracts()
            .flat_map(|c| c.annotations().iter().filter_map(|a| a.pii.clone()))
            .collect();
        let envelope = registry
            .documents()
            .iter()
            .find(|(id, _)| id.ends_with("ENVELOPE/v1.json"))
            .and_then(|(_, schema)| schema.get("properties"));
        let envelope_fields = envelope
            .and_then(|p| p.as_object())
            .map(|p| p.keys().cloned().collect());
        let values_at = |pointer: &str| -> BTreeSet<String> {
            envelope
                .and_then(|p| p.pointer(pointer))
                .and_then(|v| v.as_array())
                .map(|values| {
                    values
                        .iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        Validator {
            config,
            registry,
            pii_kinds,
            envelope_fields,
            purpose_codes: values_at("/purpose_code/enum"),
            legal_bases: values_at("/legal_basis/items/enum"),
            problems: Vec::new(),
        }
    }

    fn problem(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(ConfigProblem {
            path: path.into(),
            message: message.into(),
        });
    }

    fn is_known_type(&self, message_type: &str) -> bool {
        !self.registry.versions(message_type).is_empty()
    }

    /// Reports `message_type` if the catalogue does not know it; returns whether it is known.
    fn check_type(&mut self, path: &str, message_type: &str) -> bool {
        let known = self.is_known_type(message_type);
        if !known {
            self.problem(
                path,
                format!("{message_type} is not a message type of the contract catalogue"),
            );
        }
        known
    }

    fn check_department_code(&mut self, path: &str, actor: Actor) {
        if actor == Actor::Hub {
            self.problem(path, "HUB is the hub itself, not a department");
        }
    }

    fn transport(&mut self) {
        let transport = &self.config.transport;
        if transport.amqp.is_some() && transport.embedded.is_some() {
            self.problem(
                "transport",
                "both [transport.amqp] and [transport.embedded] are configured; keep [transport.amqp] to use RabbitMQ, or remove it to use the embedded transport",
            );
        }
        let steps_path = match (&transport.amqp, &transport.embedded) {
            (Some(amqp), _) => {
                match amqp.validate() {
                    Err(error) => self.problem("transport.amqp", error.to_string()),
                    Ok(url) => {
                        if Some(url.username()) != self.config.hub_broker_user() {
                            self.problem(
                                "transport.amqp.url",
                                "write the hub's user name without percent-encoding, so deliveries it publishes are recognised",
                            );
                        }
                    }
                }
                "transport.amqp.retry_delays_ms"
            }
            (None, Some(embedded)) => {
                if let Err(error) = embedded.validate() {
                    self.problem("transport.embedded", error.to_string());
                }
                "transport.embedded.retry_delays_ms"
            }
            (None, None) => "the embedded transport's default retry_delays_ms",
        };
        // Both transports wait for the smallest step >= the asked delay (else the largest).
        let steps = transport.retry_delays_ms();
        for (index, delay) in self.config.pipeline.retry_delays_ms.iter().enumerate() {
            if !steps.contains(delay) {
                let actual = steps
                    .iter()
                    .copied()
                    .find(|step| step >= delay)
                    .or_else(|| steps.iter().copied().max())
                    .map_or_else(|| "none".to_owned(), |ms| ms.to_string());
                self.problem(
                    format!("pipeline.retry_delays_ms[{index}]"),
                    format!(
                        "{delay} ms is not a retry step of {steps_path} ({}); the transport would wait {actual} ms instead",
                        join_u64(&steps)
                    ),
                );
            }
        }
    }

    fn http(&mut self) {
        let http = &self.config.http;
        if !is_host_port(&http.listen) {
            let message = format!(
                "`{}` is not host:port (e.g. 127.0.0.1:8080 or [::1]:8080)",
                http.listen
            );
            self.problem("http.listen", message);
        }
        if http.max_body_bytes == 0 {
            self.problem("http.max_body_bytes", "must be greater than 0");
        }
        if http.request_timeout_ms == 0 {
            self.problem("http.request_timeout_ms", "must be greater than 0");
        }
        let department_hashes: BTreeSet<&str> = self
            .config
            .departments
            .values()
            .flat_map(|d| d.http_token_sha256.iter().map(String::as_str))
            .collect();
        for (index, hash) in http.ops_token_sha256.iter().enumerate() {
            let path = format!("http.ops_token_sha256[{index}]");
            if !is_token_hash(hash) {
                self.problem(
                    path,
                    "must be the token's SHA-256 as 64 lowercase hex digits (printf %s TOKEN | sha256sum), never the token itself",
                );
            } else if department_hashes.contains(hash.as_str()) {
                self.problem(
                    path,
                    "is also a department's token hash; an operator token must be its own",
                );
            }
        }
    }

    fn store(&mut self) {
        if self.config.store.path.as_os_str().is_empty() {
            self.problem("store.path", "must name the SQLite database file");
        }
    }

    fn pipeline(&mut self) {
        let pipeline = &self.config.pipeline;
        if pipeline.ingress_prefetch == 0 {
            self.problem(
                "pipeline.ingress_prefetch",
                "must be at least 1 (an AMQP prefetch of 0 means unlimited)",
            );
        }
        if pipeline.max_attempts == 0 {
            self.problem("pipeline.max_attempts", "must be at least 1");
        }
        let delays = pipeline.retry_delays_ms.clone();
        if delays.is_empty() {
            self.problem(
                "pipeline.retry_delays_ms",
                "needs at least one delay step (milliseconds)",
            );
        }
        for (index, delay) in delays.iter().enumerate() {
            let path = format!("pipeline.retry_delays_ms[{index}]");
            if *delay == 0 {
                self.problem(path, "a delay must be greater than 0 ms");
            } else if let Some(previous) = index.checked_sub(1).and_then(|i| delays.get(i))
                && delay <= previous
            {
                self.problem(
                    path,
                    format!(
                        "{delay} is not greater than the step before it ({previous}); delays must be strictly ascending"
                    ),
                );
            }
        }
    }

    fn departments(&mut self) {
        let mut broker_users: BTreeMap<&str, Actor> = BTreeMap::new();
        let hub_user = self.config.hub_broker_user();
        let mut hashes: BTreeMap<&str, Actor> = BTreeMap::new();
        let mut org_codes: BTreeMap<&str, Actor> = BTreeMap::new();
        let config = self.config;
        for (&actor, department) in &config.departments {
            let base = format!("departments.{}", actor.as_str());
            self.check_department_code(&base, actor);
            if let Some(user) = department.broker_user.as_deref() {
                let path = format!("{base}.broker_user");
                if user.trim().is_empty() {
                    self.problem(
                        path,
                        "must not be empty; leave it out if the department has no broker user",
                    );
                } else if hub_user == Some(user) {
                    self.problem(
                        path,
                        format!("`{user}` is the hub's own publisher identity (the user of transport.amqp.url, or transport.embedded.publisher); a department publishing as the hub could name any department as the original publisher"),
                    );
                } else if let Some(other) = broker_users.insert(user, actor) {
                    self.problem(
                        path,
                        format!(
                            "`{user}` is also the broker user of {}; each department needs its own user",
                            other.as_str()
                        ),
                    );
                }
            }
            for (index, hash) in department.http_token_sha256.iter().enumerate() {
                let path = format!("{base}.http_token_sha256[{index}]");
                if !is_token_hash(hash) {
                    self.problem(
                        path,
                        "must be the token's SHA-256 as 64 lowercase hex digits (printf %s TOKEN | sha256sum), never the token itself",
                    );
                } else if let Some(other) = hashes.insert(hash, actor) {
                    self.problem(
                        path,
                        format!("the same token hash is configured for {}; a token must identify one department", other.as_str()),
                    );
                }
            }
            for (index, code) in department.org_codes.iter().enumerate() {
                let path = format!("{base}.org_codes[{index}]");
                if let Some(reason) = contracts::codes::explain(code, "uscc") {
                    self.problem(
                        path,
                        format!("`{code}` is not a GB 32100 unified social credit code: {reason}"),
                    );
                } else if let Some(other) = org_codes.insert(code, actor) {
                    self.problem(
                        path,
                        format!("`{code}` is also an organisation code of {}; a code must identify one department", other.as_str()),
                    );
                }
            }
            for (message_type, &major) in &department.reads {
                let path = format!("{base}.reads.{message_type}");
                if self.check_type(&path, message_type) {
                    let versions = self.registry.versions(message_type);
                    if !versions.contains(&major) {
                        self.problem(
                            path,
                            format!(
                                "{message_type} has no contract version {major} (known: {})",
                                join(&versions)
                            ),
                        );
                    } else if let Ok(catalogued) = message_type.parse::<MessageType>() {
                        let stranded: Vec<u32> = versions
                            .iter()
                            .copied()
                            .filter(|&from| !has_cast_path(catalogued, from, major))
                            .collect();
                        if !stranded.is_empty() {
                            self.problem(
                                path,
                                format!(
                                    "no caster leads from {message_type} version {} to version {major}, so such messages could not be delivered to {}",
                                    join(&stranded),
                                    actor.as_str()
                                ),
                            );
                        }
                    }
                }
            }
            for (index, kind) in department.allowed_pii.iter().enumerate() {
                if !self.pii_kinds.contains(kind) {
                    let known: Vec<&str> = self.pii_kinds.iter().map(String::as_str).collect();
                    self.problem(
                        format!("{base}.allowed_pii[{index}]"),
                        format!(
                            "`{kind}` is not an x-pii kind of any contract (known: {})",
                            known.join(", ")
                        ),
                    );
                }
            }
            for (message_type, narrow) in &department.narrow {
                let path = format!("{base}.narrow.{message_type}");
                self.check_type(&path, message_type);
                if let Some(max) = narrow.max_sensitivity
                    && max > department.max_sensitivity
                {
                    self.problem(
                        format!("{path}.max_sensitivity"),
                        format!(
                            "a narrower policy cannot raise the sensitivity above the department's {}",
                            serde_json::to_value(department.max_sensitivity)
                                .ok()
                                .and_then(|v| v.as_str().map(str::to_owned))
                                .unwrap_or_default()
                        ),
                    );
                }
                for (index, kind) in narrow.allowed_pii.iter().flatten().enumerate() {
                    if !department.allowed_pii.contains(kind) {
                        self.problem(
                            format!("{path}.allowed_pii[{index}]"),
                            format!(
                                "`{kind}` is not in {}'s allowed_pii: a narrower policy can only remove kinds",
                                actor.as_str()
                            ),
                        );
                    }
                }
            }
        }
    }

    fn authorization(&mut self) {
        let config = self.config;
        for (&actor, types) in &config.authorization.send {
            let base = format!("authorization.send.{}", actor.as_str());
            self.check_department_code(&base, actor);
            match config.departments.get(&actor) {
                None => self.problem(
                    base.clone(),
                    format!(
                        "{0} may send but has no [departments.{0}] table, so it can neither authenticate nor name its organisation codes",
                        actor.as_str()
                    ),
                ),
                Some(department) => {
                    if department.broker_user.is_none() && department.http_token_sha256.is_empty() {
                        self.problem(
                            base.clone(),
                            format!(
                                "{0} may send but [departments.{0}] has neither broker_user nor http_token_sha256, so it cannot authenticate",
                                actor.as_str()
                            ),
                        );
                    }
                    if department.org_codes.is_empty() {
                        self.problem(
                            base.clone(),
                            format!(
                                "{0} may send but [departments.{0}] lists no org_codes, so every message it sends is refused",
                                actor.as_str()
                            ),
                        );
                    }
                }
            }
            for (index, message_type) in types.iter().enumerate() {
                let path = format!("{base}[{index}]");
                if !self.check_type(&path, message_type) {
                    continue;
                }
                let registry_owned = message_type
                    .parse::<MessageType>()
                    .is_ok_and(crate::identity::owns);
                if message_type == HUB_REJECTED {
                    self.problem(path, "only the hub sends HUB_REJECTED");
                } else if !registry_owned
                    && !config
                        .routes
                        .routes()
                        .iter()
                        .any(|r| &r.message_type == message_type)
                {
                    self.problem(
                        path,
                        format!(
                            "{} may send {message_type} but no route delivers {message_type}, so every one would be refused as unroutable",
                            actor.as_str()
                        ),
                    );
                }
            }
        }
        for (&actor, types) in &config.authorization.receive {
            let base = format!("authorization.receive.{}", actor.as_str());
            self.check_department_code(&base, actor);
            for (index, message_type) in types.iter().enumerate() {
                self.check_type(&format!("{base}[{index}]"), message_type);
            }
        }
    }

    fn routes(&mut self) {
        let config = self.config;
        for (index, route) in config.routes.routes().iter().enumerate() {
            let base = format!("routes[{index}]");
            let message_type = route.message_type.as_str();
            let known = self.check_type(&format!("{base}.message_type"), message_type);
            if let Ok(t) = message_type.parse::<MessageType>()
                && crate::identity::owns(t)
            {
                self.problem(
                    format!("{base}.message_type"),
                    format!(
                        "{message_type} is distributed by the identity registry (to the \
                         subscribers in [identity] and the departments linked to the person), \
                         not by routes; remove this route"
                    ),
                );
            }
            if route.recipients.is_empty() {
                self.problem(
                    format!("{base}.recipients"),
                    "a route needs at least one recipient",
                );
            }
            for (r, recipient) in route.recipients.iter().enumerate() {
                let path = format!("{base}.recipients[{r}]");
                match *recipient {
                    Recipient::Department(Actor::Hub) => {
                        self.problem(path, "HUB is the hub itself, not a department")
                    }
                    Recipient::Department(actor) => {
                        if known && !config.authorization.may_receive(actor, message_type) {
                            self.problem(
                                path,
                                format!(
                                    "{} may not receive {message_type} (authorization.receive)",
                                    actor.as_str()
                                ),
                            );
                        }
                    }
                    Recipient::OriginalSender => {
                        if known && config.authorization.receivers_of(message_type).is_empty() {
                            self.problem(
                                path,
                                format!(
                                    "no department may receive {message_type} (authorization.receive), so ORIGINAL_SENDER can never be delivered"
                                ),
                            );
                        }
                    }
                }
            }
            if let Some(predicate) = &route.when {
                let type_for_fields = known.then_some(message_type);
                self.predicate(&format!("{base}.when"), predicate, type_for_fields);
            }
        }
    }

    fn predicate(&mut self, path: &str, predicate: &Predicate, message_type: Option<&str>) {
        match predicate {
            Predicate::Equals { pointer, .. }
            | Predicate::Prefix { pointer, .. }
            | Predicate::Exists { pointer, .. } => self.pointer(path, pointer, message_type),
            Predicate::OneOf { pointer, values } => {
                self.pointer(path, pointer, message_type);
                if values.is_empty() {
                    self.problem(format!("{path}.one_of"), "an empty one_of never holds");
                }
            }
            Predicate::Any(predicates) | Predicate::All(predicates) => {
                let key = if matches!(predicate, Predicate::Any(_)) {
                    "any"
                } else {
                    "all"
                };
                if predicates.is_empty() {
                    let message = if key == "any" {
                        "an empty `any` never holds"
                    } else {
                        "an empty `all` always holds; leave out `when` instead"
                    };
                    self.problem(format!("{path}.{key}"), message);
                }
                for (index, inner) in predicates.iter().enumerate() {
                    self.predicate(&format!("{path}.{key}[{index}]"), inner, message_type);
                }
            }
            Predicate::Not(inner) => self.predicate(&format!("{path}.not"), inner, message_type),
        }
    }

    fn pointer(&mut self, path: &str, pointer: &JsonPointerPattern, message_type: Option<&str>) {
        self.pointer_at(&format!("{path}.pointer"), pointer, message_type);
    }

    /// Checks a pointer written at config path `path` (reported there) against the fields of
    /// `message_type` (payload pointers) or the envelope (the others).
    fn pointer_at(&mut self, path: &str, pointer: &JsonPointerPattern, message_type: Option<&str>) {
        let path = path.to_owned();
        if let Some(error) = pointer.error() {
            self.problem(path, format!("`{pointer}` is malformed: {error}"));
            return;
        }
        let segments = pointer.segments();
        match segments.split_first() {
            None => {}
            Some((Segment::Key(first), rest)) if first == "payload" => {
                let Some(message_type) = message_type else {
                    return;
                };
                if rest.is_empty() {
                    return;
                }
                let versions = self.registry.versions(message_type);
                let found = versions.iter().any(|&major| {
                    self.registry
                        .contract(message_type, major)
                        .is_some_and(|c| {
                            c.annotations()
                                .iter()
                                .any(|a| pattern_matches(rest, &a.pointer))
                        })
                });
                if !found {
                    self.problem(
                        path,
                        format!(
                            "`{pointer}` names no field of {message_type} (versions {}); check the spelling against the schema",
                            join(&versions)
                        ),
                    );
                }
            }
            Some((Segment::Key(first), _)) => {
                if let Some(fields) = &self.envelope_fields
                    && !fields.contains(first)
                {
                    self.problem(
                        path,
                        format!(
                            "`{pointer}` names no envelope field; payload fields are under /payload/"
                        ),
                    );
                }
            }
            Some((Segment::Wildcard, _)) => {}
        }
    }
}

impl Validator<'_> {
    fn identity(&mut self) {
        let config = self.config;
        for (path, message) in config.identity.problems(|department| {
            config.departments.contains_key(&department).then(|| {
                config
                    .authorization
                    .may_receive(department, MessageType::IdentityUpdate.as_str())
            })
        }) {
            self.problem(path, message);
        }
    }

    fn deadlines(&mut self) {
        let deadlines = &self.config.deadlines;
        if deadlines.poll_interval_ms == 0 {
            self.problem("deadlines.poll_interval_ms", "must be greater than 0");
        }
        for (path, message) in calendar_problems(&deadlines.calendar) {
            self.problem(path, message);
        }
        let mut names: BTreeSet<&str> = BTreeSet::new();
        for (index, rule) in deadlines.rules.iter().enumerate() {
            let base = format!("deadlines.rules[{index}]");
            if !is_rule_name(&rule.name) {
                self.problem(
                    format!("{base}.name"),
                    format!(
                        "`{}` is not a rule name: lower-case letters, digits and _, at most 64 characters",
                        rule.name
                    ),
                );
            } else if !names.insert(rule.name.as_str()) {
                self.problem(
                    format!("{base}.name"),
                    format!("another rule is already named `{}`", rule.name),
                );
            }
            if rule.description.trim().is_empty() {
                self.problem(
                    format!("{base}.description"),
                    "must say what the deadline is (shown on the board)",
                );
            }
            self.deadline_rule(&base, rule);
        }
    }

    /// Whether `message_type` can reach the hub from a department: known, sendable by
    /// someone (reported at `path` if not). Returns the type when it is known.
    fn incoming_type<'t>(&mut self, path: &str, message_type: &'t str) -> Option<&'t str> {
        if !self.check_type(path, message_type) {
            return None;
        }
        if message_type == HUB_REJECTED {
            self.problem(path, "only the hub sends HUB_REJECTED");
        } else if self
            .config
            .authorization
            .senders_of(message_type)
            .is_empty()
        {
            self.problem(
                path,
                format!(
                    "no department may send {message_type} (authorization.send), so this never happens"
                ),
            );
        }
        Some(message_type)
    }

    fn deadline_rule(&mut self, base: &str, rule: &DeadlineRule) {
        let trigger = self.incoming_type(
            &format!("{base}.trigger.message_type"),
            &rule.trigger.message_type,
        );
        if let Some(predicate) = &rule.trigger.when {
            self.predicate(&format!("{base}.trigger.when"), predicate, trigger);
        }
        self.field_pointer(&format!("{base}.key"), &rule.key, trigger);
        self.field_pointer(&format!("{base}.case_id"), &rule.case_id, trigger);
        if let ClockStart::Field(pointer) = &rule.clock_start {
            self.field_pointer(&format!("{base}.clock_start"), pointer, trigger);
        }
        if let Err(error) = rule.due.span() {
            self.problem(format!("{base}.due"), error);
        }
        if let Some(follow_ups) = &rule.follow_ups {
            if follow_ups.every.is_empty() {
                self.problem(
                    format!("{base}.follow_ups.every"),
                    "needs at least one span, e.g. [{ hours = 24 }]",
                );
            }
            for (index, span) in follow_ups.every.iter().enumerate() {
                if let Err(error) = span.span() {
                    self.problem(format!("{base}.follow_ups.every[{index}]"), error);
                }
            }
            if follow_ups.count == Some(0) {
                self.problem(
                    format!("{base}.follow_ups.count"),
                    "must be at least 1; leave follow_ups out for a single deadline",
                );
            }
            if follow_ups.count.is_none() && rule.closed_by.is_empty() {
                self.problem(
                    format!("{base}.follow_ups"),
                    "follow-ups without a count repeat until a closed_by message, but the rule has none",
                );
            }
        }
        if rule.met_by.is_empty() && rule.closed_by.is_empty() {
            self.problem(
                base,
                "needs at least one met_by or closed_by message, or its deadlines could never be met",
            );
        }
        for (list, matchers) in [("met_by", &rule.met_by), ("closed_by", &rule.closed_by)] {
            for (index, matcher) in matchers.iter().enumerate() {
                self.deadline_matcher(&format!("{base}.{list}[{index}]"), matcher);
            }
        }
        if let Some(escalation) = &rule.escalation {
            self.escalation(&format!("{base}.escalation"), escalation, trigger);
        }
    }

    /// A pointer that must name a field (not the whole message).
    fn field_pointer(
        &mut self,
        path: &str,
        pointer: &JsonPointerPattern,
        message_type: Option<&str>,
    ) {
        if pointer.error().is_none() && pointer.as_str().is_empty() {
            self.problem(path, "must name a field, e.g. /case_id or /payload/…");
            return;
        }
        self.pointer_at(path, pointer, message_type);
    }

    fn deadline_matcher(&mut self, path: &str, matcher: &Matcher) {
        let message_type =
            self.incoming_type(&format!("{path}.message_type"), &matcher.message_type);
        if let Some(predicate) = &matcher.when {
            self.predicate(&format!("{path}.when"), predicate, message_type);
        }
        match (&matcher.key, &matcher.case_id) {
            (Some(key), None) => self.field_pointer(&format!("{path}.key"), key, message_type),
            (None, Some(case)) => {
                self.field_pointer(&format!("{path}.case_id"), case, message_type)
            }
            _ => self.problem(
                path,
                "give exactly one of key (compared with the item's key) or case_id (compared with the item's case)",
            ),
        }
        if let Some(at) = &matcher.at {
            self.field_pointer(&format!("{path}.at"), at, message_type);
        }
    }

    fn escalation(&mut self, base: &str, escalation: &Escalation, trigger: Option<&str>) {
        let config = self.config;
        let message_type = escalation.message_type.as_str();
        let type_path = format!("{base}.message_type");
        let known = self.check_type(&type_path, message_type);
        if known && message_type == HUB_REJECTED {
            self.problem(
                type_path,
                "HUB_REJECTED is the hub's refusal notice, not an escalation",
            );
        }
        let versions = self.registry.versions(message_type);
        if known && !versions.contains(&escalation.version) {
            self.problem(
                format!("{base}.version"),
                format!(
                    "{message_type} has no contract version {} (known: {})",
                    escalation.version,
                    join(&versions)
                ),
            );
        }
        if escalation.recipients.is_empty() {
            self.problem(
                format!("{base}.recipients"),
                "an escalation needs at least one recipient",
            );
        }
        for (index, recipient) in escalation.recipients.iter().enumerate() {
            let path = format!("{base}.recipients[{index}]");
            match *recipient {
                Recipient::Department(Actor::Hub) => {
                    self.problem(path, "HUB is the hub itself, not a department")
                }
                Recipient::Department(actor) => {
                    if known && !config.authorization.may_receive(actor, message_type) {
                        self.problem(
                            path,
                            format!(
                                "{} may not receive {message_type} (authorization.receive)",
                                actor.as_str()
                            ),
                        );
                    }
                }
                Recipient::OriginalSender => {
                    let Some(trigger) = trigger else { continue };
                    let deaf: Vec<&str> = config
                        .authorization
                        .senders_of(trigger)
                        .into_iter()
                        .filter(|d| known && !config.authorization.may_receive(*d, message_type))
                        .map(Actor::as_str)
                        .collect();
                    if !deaf.is_empty() {
                        self.problem(
                            path,
                            format!(
                                "ORIGINAL_SENDER is the trigger's sender, and {} may send {trigger} but not receive {message_type} (authorization.receive)",
                                deaf.join(", ")
                            ),
                        );
                    }
                }
            }
        }
        if !self.purpose_codes.is_empty() && !self.purpose_codes.contains(&escalation.purpose_code)
        {
            let known: Vec<&str> = self.purpose_codes.iter().map(String::as_str).collect();
            self.problem(
                format!("{base}.purpose_code"),
                format!(
                    "`{}` is not a purpose code (known: {})",
                    escalation.purpose_code,
                    known.join(", ")
                ),
            );
        }
        if escalation.legal_basis.is_empty() {
            self.problem(
                format!("{base}.legal_basis"),
                "needs at least one legal basis (CL-LEGAL)",
            );
        }
        for (index, basis) in escalation.legal_basis.iter().enumerate() {
            if !self.legal_bases.is_empty() && !self.legal_bases.contains(basis) {
                let known: Vec<&str> = self.legal_bases.iter().map(String::as_str).collect();
                self.problem(
                    format!("{base}.legal_basis[{index}]"),
                    format!(
                        "`{basis}` is not a legal basis (known: {})",
                        known.join(", ")
                    ),
                );
            }
        }
        let payload_path = format!("{base}.payload");
        if known && let Some(contract) = self.registry.contract(message_type, escalation.version) {
            let fields: Vec<String> = contract
                .annotations()
                .iter()
                .map(|a| a.pointer.clone())
                .collect();
            for key in escalation.payload.keys() {
                let field = format!("/{key}");
                let exists = fields
                    .iter()
                    .any(|f| f == &field || f.starts_with(&format!("{field}/")));
                if !exists {
                    self.problem(
                        format!("{payload_path}.{key}"),
                        format!(
                            "{message_type} v{} has no field `{key}`",
                            escalation.version
                        ),
                    );
                }
            }
        }
        for (path, placeholder) in placeholders(&escalation.payload, &payload_path) {
            match placeholder {
                Err(error) => self.problem(path, error),
                Ok(Placeholder::Trigger(pointer)) => {
                    let pattern = JsonPointerPattern::from(pointer.as_str());
                    self.pointer_at(&path, &pattern, trigger);
                }
                Ok(Placeholder::Deadline { .. }) => {}
            }
        }
    }
}

/// Whether the route pointer's payload segments can select the field of an annotation
/// pointer (`/subjects/*/is_minor_suspected`): same length, and each segment equal, or a
/// wildcard, or an array index where the annotation has `*`.
fn pattern_matches(segments: &[Segment], annotation_pointer: &str) -> bool {
    let annotation: Vec<&str> = annotation_pointer.split('/').skip(1).collect();
    annotation.len() == segments.len()
        && segments
            .iter()
            .zip(&annotation)
            .all(|(segment, field)| match segment {
                Segment::Wildcard => true,
                Segment::Key(key) => {
                    key == field
                        || (*field == "*"
                            && !key.is_empty()
                            && key.bytes().all(|b| b.is_ascii_digit()))
                }
            })
}

/// Whether the contracts can cast `message_type` from major `from` to major `to` (chaining
/// adjacent steps, as [`contracts::casting::cast`] does).
fn has_cast_path(message_type: MessageType, from: u32, to: u32) -> bool {
    let mut version = from;
    while version != to {
        let next = if to > version {
            version + 1
        } else {
            version - 1
        };
        if contracts::casting::find(message_type, version, next).is_none() {
            return false;
        }
        version = next;
    }
    true
}

/// Whether `text` is `host:port` without resolving anything.
fn is_host_port(text: &str) -> bool {
    if text.parse::<SocketAddr>().is_ok() {
        return true;
    }
    match text.rsplit_once(':') {
        Some((host, port)) => {
            !host.is_empty()
                && !host.contains(':')
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
                && port.parse::<u16>().is_ok()
        }
        None => false,
    }
}

fn join_u64(values: &[u64]) -> String {
    values
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn join(versions: &[u32]) -> String {
    if versions.is_empty() {
        return "none".to_owned();
    }
    versions
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cast_paths_chain_adjacent_steps() {
        assert!(has_cast_path(MessageType::Referral, 1, 2));
        assert!(has_cast_path(MessageType::Referral, 2, 1));
        assert!(has_cast_path(MessageType::Referral, 1, 1));
        assert!(!has_cast_path(MessageType::Referral, 1, 3));
        assert!(!has_cast_path(MessageType::StationIntake, 1, 2));
    }

    #[test]
    fn host_port_forms() {
        for ok in [
            "127.0.0.1:8080",
            "[::1]:8080",
            "localhost:80",
            "hub.internal:0",
        ] {
            assert!(is_host_port(ok), "{ok}");
        }
        for bad in [
            "8080",
            "localhost",
            ":8080",
            "host:99999",
            "a b:1",
            "::1:8080",
        ] {
            assert!(!is_host_port(bad), "{bad}");
        }
    }

    #[test]
    fn payload_pointers_match_annotation_patterns() {
        let segs = |t: &str| JsonPointerPattern::from(t).segments().to_vec();
        assert!(pattern_matches(
            &segs("/subjects/*/is_minor_suspected"),
            "/subjects/*/is_minor_suspected"
        ));
        assert!(pattern_matches(
            &segs("/subjects/0/is_minor_suspected"),
            "/subjects/*/is_minor_suspected"
        ));
        assert!(pattern_matches(
            &segs("/*/region_code"),
            "/location/region_code"
        ));
        assert!(!pattern_matches(
            &segs("/subject/*/is_minor_suspected"),
            "/subjects/*/is_minor_suspected"
        ));
        assert!(!pattern_matches(
            &segs("/subjects"),
            "/subjects/*/is_minor_suspected"
        ));
    }
}
