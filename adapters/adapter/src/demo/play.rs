//! Playing the case: each step sends one native document as its department system, waits
//! (bounded, event-driven) until the expected department systems received theirs, and
//! prints both sides; the closing timeline.
//!
//! Invariant: a step completes only when every expected system received exactly one new
//! document and answered it with success; a document reaching any other system during the
//! step ends the demo with that document shown.

use std::future::Future;
use std::io::Write;
use std::path::Path;
use std::pin::Pin;
use std::task::Poll;
use std::time::{Duration, Instant, SystemTime};

use dept_sim::{Department, Received, Sent, SentOutcome, SimError, Target};
use hub::app::Running;

use super::describe::{self, describe, excerpt, pad, width};
use super::documents::{self, Document, DocumentError};
use super::{Delivery, DemoError, DemoReport, StepReport, System, TIMELINE_HEADER};

/// The department system's name on screen.
fn system_name(department: Department) -> &'static str {
    match department {
        Department::Police => "公安 police system",
        Department::Health => "医院 hospital HIS",
        Department::Citymgmt => "城管 city-management platform",
        Department::Grid => "网格 grid platform",
        Department::Station => "救助站 station system",
    }
}

/// One step of the case before it is sent.
#[derive(Debug)]
struct StepSpec {
    scene: &'static str,
    story: &'static str,
    sender: Department,
    document: Document,
    expected: &'static [Department],
}

/// A wait on one simulator during a step.
type Waiting<'s> =
    Pin<Box<dyn Future<Output = (Department, bool, Result<Vec<Received>, SimError>)> + Send + 's>>;

/// The state of one demo run.
pub(super) struct Demo<'a> {
    out: &'a mut (dyn Write + Send),
    systems: &'a [System],
    started: Instant,
    started_wall: SystemTime,
    step_timeout: Duration,
    scene: &'static str,
    report: DemoReport,
}

impl<'a> Demo<'a> {
    /// A run printing to `out`, with `systems` started at `started` (`started_wall` on the
    /// wall clock, for the simulators' arrival times).
    pub(super) fn new(
        out: &'a mut (dyn Write + Send),
        systems: &'a [System],
        started: Instant,
        started_wall: SystemTime,
        step_timeout: Duration,
    ) -> Self {
        Demo {
            out,
            systems,
            started,
            started_wall,
            step_timeout,
            scene: "",
            report: DemoReport::default(),
        }
    }

    /// What was played so far.
    pub(super) fn into_report(self) -> DemoReport {
        self.report
    }

    /// The case: seven native documents.
    pub(super) async fn play(&mut self) -> Result<(), DemoError> {
        const FOUND: &str = "1 · 发现转介 Found: the grid platform refers a person to the station";
        const ESCORT: &str =
            "2 · 公安护送交接 Escort: the police hand a man over, the station signs";
        const HOSPITAL: &str =
            "3 · 送医 Hospital: the station takes a patient in, the HIS admits and discharges";
        const CLOSED: &str =
            "4 · 转介反馈 Outcome: the grid platform learns how the referral ended";
        use Department::{Grid, Health, Police, Station};

        let got = self
            .step(StepSpec {
                scene: FOUND,
                story: "城厢镇 grid worker 陆建芳's sighting of a man sheltering at a bus stop is \
                        distributed (分拨) by the grid platform to the rescue station.",
                sender: Grid,
                document: documents::grid_event(),
                expected: &[Station],
            })
            .await?;
        let referral_doc_no = doc_no(&got, 1)?;

        let got = self
            .step(StepSpec {
                scene: ESCORT,
                story: "Officers 顾建华 and 沈磊 of 城厢派出所 bring 王根宝 (78, lost) to the station \
                        and post their escort handover form.",
                sender: Police,
                document: documents::police_handover(),
                expected: &[Station],
            })
            .await?;
        let handover_doc_no = doc_no(&got, 2)?;

        let ack = documents::handover_ack(&handover_doc_no)
            .map_err(|source| DemoError::Document { step: 3, source })?;
        self.step(StepSpec {
            scene: ESCORT,
            story: "周敏 signs for him at the station (签收); the police get their receipt.",
            sender: Station,
            document: ack,
            expected: &[Police],
        })
        .await?;

        let got = self
            .step(StepSpec {
                scene: HOSPITAL,
                story: "The station sends 王建国 (infected leg wound, fever) to \
                        太仓市第一人民医院 with an escort.",
                sender: Station,
                document: documents::hospital_admission(),
                expected: &[Health],
            })
            .await?;
        let (control_id, transfer_id) = a05_ids(&got)?;

        let admission = documents::admission_ack(&control_id, &transfer_id)
            .map_err(|source| DemoError::Document { step: 5, source })?;
        let admission_no = hl7_field(&admission.body, "PV1", 19).unwrap_or_default();
        self.step(StepSpec {
            scene: HOSPITAL,
            story: "The HIS admits the patient (入院) and says which pre-admission it answers.",
            sender: Health,
            document: admission,
            expected: &[Station],
        })
        .await?;

        let discharge = documents::discharge(&admission_no)
            .map_err(|source| DemoError::Document { step: 6, source })?;
        self.step(StepSpec {
            scene: HOSPITAL,
            story: "The HIS reports the end of that stay (出院).",
            sender: Health,
            document: discharge,
            expected: &[Station],
        })
        .await?;

        let outcome = documents::referral_outcome(&referral_doc_no)
            .map_err(|source| DemoError::Document { step: 7, source })?;
        self.step(StepSpec {
            scene: CLOSED,
            story: "The station reports that the grid referral ended in admission; the grid \
                    platform can close its event.",
            sender: Station,
            document: outcome,
            expected: &[Grid],
        })
        .await?;
        Ok(())
    }

    /// Sends one document and waits for its deliveries; returns what the expected systems
    /// received, in the order expected.
    async fn step(&mut self, spec: StepSpec) -> Result<Vec<Received>, DemoError> {
        let number = self.report.steps.len() + 1;
        let systems = self.systems;
        let Some(system) = systems.iter().find(|s| s.department == spec.sender) else {
            return Err(DemoError::Adapter {
                department: spec.sender,
                detail: "not started".to_owned(),
            });
        };
        if spec.scene != self.scene {
            self.scene = spec.scene;
            writeln!(self.out, "\n── {}", spec.scene)?;
        }
        let document = spec.document;
        let described = describe(Some(document.content_type), &document.body);
        writeln!(
            self.out,
            "\n{}",
            wrap(&format!(" {number}. {}", spec.story), 92, "    ")
        )?;
        writeln!(
            self.out,
            "    {} sends {} to its adapter at {}",
            system_name(spec.sender),
            document.kind,
            target_text(&system.target)
        )?;
        if document.edits.is_empty() {
            writeln!(
                self.out,
                "      from tests/golden/{}, unchanged",
                document.golden
            )?;
        } else {
            writeln!(self.out, "      from tests/golden/{}", document.golden)?;
            for edit in &document.edits {
                writeln!(self.out, "      edited  {edit}")?;
            }
        }
        self.print_fields(&described.fields)?;
        self.out.flush()?;

        let baselines: Vec<(Department, usize)> = systems
            .iter()
            .map(|s| (s.department, s.sim.received().len()))
            .collect();
        let answer = system
            .sender
            .send(&system.target, document.content_type, document.body.clone())
            .await;
        let after = self.started.elapsed();
        match judge_answer(&answer) {
            Ok(summary) => writeln!(
                self.out,
                "    {:>8}  the adapter answers {summary}",
                elapsed(after)
            )?,
            Err(why) => {
                writeln!(self.out, "    !! the adapter did not accept it: {why}").ok();
                return Err(DemoError::NotAccepted {
                    step: number,
                    department: spec.sender,
                    kind: described.kind,
                    answer: why,
                });
            }
        }
        self.out.flush()?;

        let deliveries = self.wait(number, spec.expected, &baselines).await?;
        for delivery in &deliveries {
            self.print_delivery(delivery)?;
        }
        let received: Vec<Received> = deliveries.iter().map(|d| d.received.clone()).collect();
        self.report.steps.push(StepReport {
            number,
            story: spec.story,
            sender: spec.sender,
            document,
            answer,
            deliveries,
        });
        Ok(received)
    }

    /// Waits until every `expected` system received one new document; any other system
    /// receiving one ends the step with an error.
    async fn wait(
        &mut self,
        step: usize,
        expected: &[Department],
        baselines: &[(Department, usize)],
    ) -> Result<Vec<Delivery>, DemoError> {
        let baseline = |department: Department| {
            baselines
                .iter()
                .find(|(d, _)| *d == department)
                .map_or(0, |(_, n)| *n)
        };
        let bound = self.step_timeout;
        let systems = self.systems;
        let mut waits: Vec<Waiting<'_>> = systems
            .iter()
            .map(|system| {
                let department = system.department;
                let wanted = baseline(department) + 1;
                let is_expected = expected.contains(&department);
                let sim = &system.sim;
                Box::pin(
                    async move { (department, is_expected, sim.wait_for(wanted, bound).await) },
                ) as Waiting<'_>
            })
            .collect();
        let mut arrived: Vec<Delivery> = Vec::new();
        while arrived.len() < expected.len() && !waits.is_empty() {
            let (index, (department, is_expected, result)) = std::future::poll_fn(|cx| {
                for (index, wait) in waits.iter_mut().enumerate() {
                    if let Poll::Ready(output) = wait.as_mut().poll(cx) {
                        return Poll::Ready((index, output));
                    }
                }
                Poll::Pending
            })
            .await;
            drop(waits.swap_remove(index));
            let first_new = |records: Vec<Received>| records.into_iter().nth(baseline(department));
            match (is_expected, result) {
                (true, Ok(records)) => {
                    if let Some(received) = first_new(records) {
                        arrived.push(self.delivery(step, department, received)?);
                    }
                }
                (false, Ok(records)) => {
                    if let Some(received) = first_new(records) {
                        return Err(self.unexpected(step, department, &received));
                    }
                }
                (true, Err(error)) => {
                    writeln!(
                        self.out,
                        "    !! nothing reached the {} within {} ms",
                        system_name(department),
                        bound.as_millis()
                    )
                    .ok();
                    return Err(DemoError::Timeout {
                        step,
                        department,
                        waited: bound,
                        detail: error.to_string(),
                    });
                }
                // Quiet for the whole bound, as it should be.
                (false, Err(_)) => {}
            }
        }
        drop(waits);
        // A second document to an expected system is as unexpected as one elsewhere.
        for department in expected {
            if let Some(system) = systems.iter().find(|s| s.department == *department)
                && let Some(extra) = system
                    .sim
                    .received()
                    .into_iter()
                    .nth(baseline(*department) + 1)
            {
                return Err(self.unexpected(step, *department, &extra));
            }
        }
        arrived.sort_by_key(|d| expected.iter().position(|e| *e == d.department));
        Ok(arrived)
    }

    /// An expected arrival, checked: the system must have accepted it.
    fn delivery(
        &mut self,
        step: usize,
        department: Department,
        received: Received,
    ) -> Result<Delivery, DemoError> {
        let answered = &received.answered;
        let accepted = match answered.ack_code {
            Some(code) => code == "AA",
            None => answered.status.is_some_and(|s| (200..300).contains(&s)),
        };
        if !accepted {
            let kind = describe(received.content_type.as_deref(), &received.body).kind;
            let answer = match (answered.ack_code, answered.status) {
                (Some(code), _) => format!("HL7 {code} (mode {})", answered.mode),
                (None, Some(status)) => format!("HTTP {status} (mode {})", answered.mode),
                (None, None) => format!("mode {}", answered.mode),
            };
            writeln!(
                self.out,
                "    !! the {} answered the delivered {kind} with {answer}",
                system_name(department)
            )
            .ok();
            return Err(DemoError::DeliveryRefused {
                step,
                department,
                kind,
                answer,
            });
        }
        let after_start = received
            .at
            .duration_since(self.started_wall)
            .unwrap_or_default();
        Ok(Delivery {
            department,
            received,
            after_start,
        })
    }

    /// Prints and describes a document that reached a system the step does not expect.
    fn unexpected(
        &mut self,
        step: usize,
        department: Department,
        received: &Received,
    ) -> DemoError {
        let described = describe(received.content_type.as_deref(), &received.body);
        let mut text: Vec<String> = described
            .fields
            .iter()
            .map(|(label, value)| format!("{label} {value}"))
            .collect();
        text.push(format!(
            "text: {}",
            excerpt(&String::from_utf8_lossy(&received.body), 600)
        ));
        // The error carries the same text; a failed write must not hide it.
        writeln!(
            self.out,
            "    !! the {} received an unexpected {}:",
            system_name(department),
            described.kind
        )
        .ok();
        for line in &text {
            writeln!(self.out, "         {line}").ok();
        }
        DemoError::Unexpected {
            step,
            department,
            kind: described.kind,
            text: text.join("; "),
        }
    }

    fn print_delivery(&mut self, delivery: &Delivery) -> Result<(), DemoError> {
        let received = &delivery.received;
        let described = describe(received.content_type.as_deref(), &received.body);
        let via = match received.transport {
            dept_sim::Transport::Mllp => "over MLLP".to_owned(),
            dept_sim::Transport::Http => format!("at POST {}", received.path),
        };
        let answered = match (received.answered.ack_code, received.answered.status) {
            (Some(code), _) => format!("answers {code}"),
            (None, Some(status)) => format!("answers {status}"),
            (None, None) => String::new(),
        };
        writeln!(
            self.out,
            "    {:>8}  {} receives {} ({}) {via}, {answered}",
            elapsed(delivery.after_start),
            system_name(delivery.department),
            described.kind,
            described.format
        )?;
        if let Some(id) = &received.message_id {
            writeln!(self.out, "      X-Hub-Message-Id {id}")?;
        }
        self.print_fields(&described.fields)?;
        self.out.flush()?;
        Ok(())
    }

    fn print_fields(&mut self, fields: &[(String, String)]) -> Result<(), DemoError> {
        let columns = fields
            .iter()
            .map(|(label, _)| width(label))
            .max()
            .unwrap_or(0);
        for (label, value) in fields {
            writeln!(self.out, "        {}  {value}", pad(label, columns))?;
        }
        Ok(())
    }

    pub(super) fn introduce(&mut self, running: &Running, scratch: &Path) -> Result<(), DemoError> {
        let rule = "═".repeat(90);
        let systems = self.systems;
        let up_after = elapsed(self.started.elapsed());
        let bound = self.step_timeout.as_secs();
        let out = &mut *self.out;
        writeln!(
            out,
            "{rule}
 太仓市流浪乞讨人员救助 · Taicang rescue hub — adapter demo: the department systems' view
{rule}
One case, document by document, as the department systems see it. Each system sends its
own native document to its adapter; the adapter translates it into a canonical message for
the hub; the hub validates, authorizes, routes and projects it; the recipient's adapter
writes it in the recipient system's format and delivers it.

 · The hub runs in this process on its embedded transport (no RabbitMQ needed), with its
   built-in configuration (hub/hub.example.toml); HTTP API on http://{http}.
   Scratch directory (removed at the end): {scratch}
 · The department systems are simulators (dept-sim) speaking their real protocols; each
   adapter listens on an ephemeral port and publishes as its department's broker user:",
            http = running.http_address,
            scratch = scratch.display(),
        )?;
        for system in systems {
            writeln!(
                out,
                "     {:<9} {} → adapter {:<27} as {}",
                system.department.as_str(),
                pad(system_name(system.department), 30),
                target_text(&system.target),
                system.broker_user
            )?;
        }
        writeln!(
            out,
            " · Every document sent is a department's golden test document (tests/golden/<dept>/
   decode/). Where an answer must name what it answers, the value is taken from the
   document delivered before, and the edit is shown. The golden documents were written for
   different test scenarios, so the people in scenes 1, 2 and 3 differ.
 · Fields shown are read with the simulators' own native views (XML paths, JSON pointers,
   HL7 fields), not with the adapters' codecs.
 · Everything was up {up_after} after the start; times are counted from the start, and each
   step must complete within {bound} s."
        )?;
        out.flush()?;
        Ok(())
    }

    /// The closing table: every document sent, and what each recipient received.
    pub(super) fn print_timeline(&mut self) -> Result<(), DemoError> {
        let rule = "─".repeat(102);
        let out = &mut *self.out;
        writeln!(out)?;
        writeln!(
            out,
            "{TIMELINE_HEADER} — what each department system sent, and what the recipients received"
        )?;
        writeln!(out, "{rule}")?;
        writeln!(
            out,
            " {:>2}  {:<8} {}    {:<8} {} {:>8}",
            "#",
            "sender",
            pad("sent (native)", 36),
            "receiver",
            pad("received (native)", 32),
            "arrived"
        )?;
        writeln!(out, "{rule}")?;
        let mut deliveries = 0;
        for step in &self.report.steps {
            for delivery in &step.deliveries {
                deliveries += 1;
                let received = &delivery.received;
                let described = describe(received.content_type.as_deref(), &received.body);
                let mut kind = format!("{} ({})", described.kind, described.format);
                if let Some(code) = received.answered.ack_code {
                    kind = format!("{kind} → {code}");
                }
                writeln!(
                    out,
                    " {:>2}  {:<8} {} →  {:<8} {} {:>8}",
                    step.number,
                    step.sender.as_str(),
                    pad(step.document.kind, 36),
                    delivery.department.as_str(),
                    pad(&kind, 32),
                    elapsed(delivery.after_start)
                )?;
            }
        }
        writeln!(out, "{rule}")?;
        writeln!(
            out,
            "{} documents sent by the department systems, {deliveries} delivered in their recipients' formats, \
             none refused.",
            self.report.steps.len()
        )?;
        out.flush()?;
        Ok(())
    }
}

/// How the adapter answered the department system: `Ok(summary)` when it accepted the
/// document (HTTP 2xx without `"success": false`; HL7 `AA`), else why not.
fn judge_answer(sent: &Sent) -> Result<String, String> {
    match &sent.outcome {
        SentOutcome::Http {
            status,
            body,
            content_type,
        } => {
            let text = describe::receipt(content_type.as_deref(), body);
            let refused_in_body = serde_json::from_slice::<serde_json::Value>(body)
                .ok()
                .and_then(|v| v.get("success").and_then(serde_json::Value::as_bool))
                == Some(false);
            if (200..300).contains(status) && !refused_in_body {
                Ok(format!("{status} {text}"))
            } else {
                Err(format!("{status} {text}"))
            }
        }
        SentOutcome::Mllp { ack } => match describe::ack_code(ack) {
            Some(code) if code == "AA" => Ok("ACK AA (MSA-1)".to_owned()),
            Some(code) => Err(format!(
                "ACK {code}: {}",
                excerpt(&String::from_utf8_lossy(ack), 300)
            )),
            None => Err(format!(
                "an answer that is not an HL7 ACK: {}",
                excerpt(&String::from_utf8_lossy(ack), 300)
            )),
        },
        SentOutcome::Failed { error } => Err(format!("no answer: {error}")),
    }
}

/// The `head.docNo` of the station document received in `step` (the hub's message id,
/// which an answer names as its correlation).
fn doc_no(received: &[Received], step: usize) -> Result<String, DemoError> {
    received
        .first()
        .and_then(|r| dept_sim::json_view(&r.body).ok())
        .and_then(|v| {
            v.pointer("/head/docNo")
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
        })
        .ok_or_else(|| DemoError::Document {
            step,
            source: DocumentError::Golden {
                golden: "(delivered document)",
                detail: "the station's document has no head.docNo".to_owned(),
            },
        })
}

/// `MSH-10` and `PV1-5` of the `ADT^A05` the HIS received (step 4).
fn a05_ids(received: &[Received]) -> Result<(String, String), DemoError> {
    let body = received
        .first()
        .map(|r| r.body.as_slice())
        .unwrap_or_default();
    match (hl7_field(body, "MSH", 10), hl7_field(body, "PV1", 5)) {
        (Some(control_id), Some(transfer_id)) => Ok((control_id, transfer_id)),
        _ => Err(DemoError::Document {
            step: 4,
            source: DocumentError::Golden {
                golden: "(delivered document)",
                detail: "the ADT^A05 the HIS received has no MSH-10 or PV1-5".to_owned(),
            },
        }),
    }
}

fn hl7_field(body: &[u8], segment: &str, field: usize) -> Option<String> {
    dept_sim::Hl7View::parse(body)
        .ok()?
        .field_raw(segment, field)
        .map(str::to_owned)
}

fn target_text(target: &Target) -> String {
    match target {
        Target::Http(url) => url.clone(),
        Target::Mllp(address) => format!("mllp://{address}"),
    }
}

/// `text` broken at spaces into lines of at most `columns` terminal columns (a longer word
/// stays whole); lines after the first start with `indent`.
fn wrap(text: &str, columns: usize, indent: &str) -> String {
    let mut out = String::new();
    let mut line_width = 0;
    let mut line_start = true;
    for word in text.split(' ') {
        let word_width = width(word);
        if !line_start && line_width + 1 + word_width > columns {
            out.push('\n');
            out.push_str(indent);
            line_width = width(indent);
            line_start = true;
        }
        if !line_start {
            out.push(' ');
            line_width += 1;
        }
        out.push_str(word);
        line_width += word_width;
        line_start = false;
    }
    out
}

/// `+0.042s`.
fn elapsed(duration: Duration) -> String {
    format!("+{:.3}s", duration.as_secs_f64())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn stories_wrap_at_spaces_counting_wide_characters_twice() {
        assert_eq!(wrap(" 1. a bb ccc", 8, "    "), " 1. a bb\n    ccc");
        assert_eq!(wrap("救助站 站前广场", 8, "  "), "救助站\n  站前广场");
        assert_eq!(wrap("short", 80, "  "), "short");
        assert_eq!(elapsed(Duration::from_millis(42)), "+0.042s");
    }
}
