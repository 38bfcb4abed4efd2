//! The walk over two schemas: flattens both sides at each instance location, compares the
//! keyword constraints, and descends into properties, undeclared properties and items.

use std::collections::{BTreeSet, HashSet};
use std::rc::Rc;

use serde_json::Value;

use super::change::{Change, ChangeKind};
use super::eq::StructEq;
use super::error::CompatError;
use super::normalize::{
    Atom, Counts, Node, ObjectView, Rest, Unit, flatten, is_annotating_applicator,
};
use super::resolve::{Loc, Resolver, TRUE, json_eq};
use super::uri::push_token;

/// Instance nesting limit.
const MAX_DEPTH: usize = 512;
/// Limit on the number of (old, new) location pairs compared in one run: shared definitions
/// are re-compared at every place they are used, which a pathological schema could abuse.
const MAX_VISITS: usize = 200_000;

/// How differences in a group of [`Unit`]s are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UnitMode {
    /// Pure conjuncts: added tightens, removed loosens, both = changed.
    Conjunct,
    /// `if`/`then`/`else`: like conjuncts, with the conditional change kinds.
    Conditional,
    /// Any difference breaks both ways.
    Opaque,
}

/// Walks two schemas and collects [`Change`]s.
pub(super) struct Differ<'a> {
    resolver: Resolver<'a>,
    /// Pairs of (old, new) conjunctions being compared up the current path: recursion
    /// through `$ref` stops there (co-inductively: the pair is being checked already).
    in_progress: HashSet<(Vec<usize>, Vec<usize>)>,
    visits: usize,
    changes: Vec<Change>,
}

impl<'a> Differ<'a> {
    pub(super) fn new(resolver: Resolver<'a>) -> Self {
        Differ {
            resolver,
            in_progress: HashSet::new(),
            visits: 0,
            changes: Vec::new(),
        }
    }

    pub(super) fn into_changes(self) -> Vec<Change> {
        self.changes
    }

    fn push(
        &mut self,
        pointer: &str,
        kind: ChangeKind,
        breaks_backward: bool,
        breaks_forward: bool,
    ) {
        self.changes.push(Change {
            pointer: pointer.to_owned(),
            kind,
            breaks_backward,
            breaks_forward,
        });
    }

    /// Compares the conjunction `old` with the conjunction `new` at instance path `pointer`.
    pub(super) fn diff(
        &mut self,
        old: &[Loc<'a>],
        new: &[Loc<'a>],
        pointer: &str,
        depth: usize,
    ) -> Result<(), CompatError> {
        let old = &self.deref_all(old)?;
        let new = &self.deref_all(new)?;
        let key = (identity(old), identity(new));
        if key.0 == key.1 || self.in_progress.contains(&key) {
            return Ok(());
        }
        self.visits += 1;
        if depth > MAX_DEPTH {
            return Err(CompatError::TooDeep {
                pointer: pointer.to_owned(),
                limit: MAX_DEPTH,
            });
        }
        if self.visits > MAX_VISITS {
            return Err(CompatError::TooLarge { limit: MAX_VISITS });
        }
        self.in_progress.insert(key.clone());
        let result = self.diff_pair(old, new, pointer, depth);
        self.in_progress.remove(&key);
        result
    }

    fn deref_all(&self, locs: &[Loc<'a>]) -> Result<Vec<Loc<'a>>, CompatError> {
        locs.iter().map(|l| self.resolver.deref(l)).collect()
    }

    fn diff_pair(
        &mut self,
        old: &[Loc<'a>],
        new: &[Loc<'a>],
        pointer: &str,
        depth: usize,
    ) -> Result<(), CompatError> {
        let o = flatten(&self.resolver, old, pointer)?;
        let n = flatten(&self.resolver, new, pointer)?;

        match (o.never, n.never) {
            (true, true) => return Ok(()),
            (true, false) => {
                self.push(pointer, ChangeKind::BecameSatisfiable, false, true);
                return Ok(());
            }
            (false, true) => {
                self.push(pointer, ChangeKind::BecameUnsatisfiable, true, false);
                return Ok(());
            }
            (false, false) => {}
        }

        self.compare_types(pointer, &o, &n);
        self.compare_values(pointer, &o, &n);
        let either = |atom: Atom| o.admits(atom) || n.admits(atom);
        if either(Atom::Integer) || either(Atom::Fraction) {
            self.compare_numbers(pointer, &o, &n);
        }
        if either(Atom::String) {
            self.compare_counts(pointer, ("minLength", "maxLength"), o.length, n.length);
        }
        let unevaluated = o.unevaluated_properties
            || n.unevaluated_properties
            || o.unevaluated_items
            || n.unevaluated_items;
        let string_only = [
            "pattern",
            "contentEncoding",
            "contentMediaType",
            "contentSchema",
        ];
        let (o_conj, n_conj): (Vec<_>, Vec<_>) = if either(Atom::String) {
            (o.conjuncts.clone(), n.conjuncts.clone())
        } else {
            let keep = |u: &&Unit<'a>| !string_only.contains(&u.keyword());
            (
                o.conjuncts.iter().filter(keep).cloned().collect(),
                n.conjuncts.iter().filter(keep).cloned().collect(),
            )
        };
        self.compare_units(pointer, &o_conj, &n_conj, UnitMode::Conjunct, unevaluated)?;
        self.compare_units(
            pointer,
            &o.conditionals,
            &n.conditionals,
            UnitMode::Conditional,
            unevaluated,
        )?;
        self.compare_units(pointer, &o.opaque, &n.opaque, UnitMode::Opaque, unevaluated)?;
        if either(Atom::Object) {
            self.compare_objects(pointer, &o, &n, depth)?;
        }
        if either(Atom::Array) {
            self.compare_arrays(pointer, &o, &n, depth)?;
        }
        Ok(())
    }

    fn compare_types(&mut self, pointer: &str, o: &Node<'a>, n: &Node<'a>) {
        // With `enum`/`const` on both sides the value comparison is exact; types add nothing.
        if o.values.is_some() && n.values.is_some() {
            return;
        }
        let (old, new) = (o.effective_types(), n.effective_types());
        let (breaks_backward, breaks_forward) = match (&old, &new) {
            (None, None) => return,
            (None, Some(_)) => (true, false),
            (Some(_), None) => (false, true),
            (Some(a), Some(b)) if a == b => return,
            (Some(a), Some(b)) => (!a.is_subset(b), !b.is_subset(a)),
        };
        let names = |t: &Option<BTreeSet<Atom>>| t.as_ref().map(Atom::names).unwrap_or_default();
        let kind = ChangeKind::TypeChanged {
            old: names(&old),
            new: names(&new),
        };
        self.push(pointer, kind, breaks_backward, breaks_forward);
    }

    fn compare_values(&mut self, pointer: &str, o: &Node<'a>, n: &Node<'a>) {
        let keyword = |node: &Node<'a>| {
            if node.value_keywords.len() == 1 && node.value_keywords.contains("const") {
                "const"
            } else {
                "enum"
            }
        };
        match (&o.values, &n.values) {
            (None, None) => {}
            (None, Some(_)) => {
                let keyword = keyword(n).to_owned();
                self.push(
                    pointer,
                    ChangeKind::ConstraintTightened { keyword },
                    true,
                    false,
                );
            }
            (Some(_), None) => {
                let keyword = keyword(o).to_owned();
                self.push(
                    pointer,
                    ChangeKind::ConstraintLoosened { keyword },
                    false,
                    true,
                );
            }
            (Some(old), Some(new)) => {
                let missing = |from: &[&Value], of: &[&Value]| -> Vec<Value> {
                    from.iter()
                        .filter(|v| !of.iter().any(|w| json_eq(v, w)))
                        .map(|v| (*v).clone())
                        .collect()
                };
                let removed = missing(old, new);
                let added = missing(new, old);
                if removed.is_empty() && added.is_empty() {
                    return;
                }
                if keyword(o) == "const" && keyword(n) == "const" {
                    let kind = ChangeKind::ConstraintChanged {
                        keyword: "const".to_owned(),
                    };
                    self.push(pointer, kind, true, true);
                    return;
                }
                if !removed.is_empty() {
                    self.push(pointer, ChangeKind::EnumNarrowed { removed }, true, false);
                }
                if !added.is_empty() {
                    self.push(pointer, ChangeKind::EnumWidened { added }, false, true);
                }
            }
        }
    }

    fn compare_numbers(&mut self, pointer: &str, o: &Node<'a>, n: &Node<'a>) {
        match (o.lower, n.lower) {
            (None, None) => {}
            (None, Some(b)) => self.tightened(pointer, b.keyword),
            (Some(a), None) => self.loosened(pointer, a.keyword),
            (Some(a), Some(b)) => {
                if b.tighter_lower(&a) {
                    self.tightened(pointer, b.keyword);
                } else if a.tighter_lower(&b) {
                    self.loosened(pointer, b.keyword);
                }
            }
        }
        match (o.upper, n.upper) {
            (None, None) => {}
            (None, Some(b)) => self.tightened(pointer, b.keyword),
            (Some(a), None) => self.loosened(pointer, a.keyword),
            (Some(a), Some(b)) => {
                if b.tighter_upper(&a) {
                    self.tightened(pointer, b.keyword);
                } else if a.tighter_upper(&b) {
                    self.loosened(pointer, b.keyword);
                }
            }
        }
        let (old, new) = (&o.multiple_of, &n.multiple_of);
        let same = old.len() == new.len() && old.iter().all(|m| new.contains(m));
        if same {
            return;
        }
        let divides = |small: f64, big: f64| {
            let q = big / small;
            (q - q.round()).abs() < 1e-9
        };
        match (old.as_slice(), new.as_slice()) {
            ([], _) => self.tightened(pointer, "multipleOf"),
            (_, []) => self.loosened(pointer, "multipleOf"),
            // New step divides the old one: every old multiple is a new multiple.
            ([a], [b]) if divides(*b, *a) => self.loosened(pointer, "multipleOf"),
            ([a], [b]) if divides(*a, *b) => self.tightened(pointer, "multipleOf"),
            _ => self.changed(pointer, "multipleOf"),
        }
    }

    fn compare_counts(
        &mut self,
        pointer: &str,
        (min_keyword, max_keyword): (&str, &str),
        old: Counts,
        new: Counts,
    ) {
        let (old_min, new_min) = (old.min.unwrap_or(0), new.min.unwrap_or(0));
        if new_min > old_min {
            self.tightened(pointer, min_keyword);
        } else if new_min < old_min {
            self.loosened(pointer, min_keyword);
        }
        match (old.max, new.max) {
            (None, None) => {}
            (None, Some(_)) => self.tightened(pointer, max_keyword),
            (Some(_), None) => self.loosened(pointer, max_keyword),
            (Some(a), Some(b)) if b < a => self.tightened(pointer, max_keyword),
            (Some(a), Some(b)) if b > a => self.loosened(pointer, max_keyword),
            _ => {}
        }
    }

    fn tightened(&mut self, pointer: &str, keyword: &str) {
        let kind = ChangeKind::ConstraintTightened {
            keyword: keyword.to_owned(),
        };
        self.push(pointer, kind, true, false);
    }

    fn loosened(&mut self, pointer: &str, keyword: &str) {
        let kind = ChangeKind::ConstraintLoosened {
            keyword: keyword.to_owned(),
        };
        self.push(pointer, kind, false, true);
    }

    fn changed(&mut self, pointer: &str, keyword: &str) {
        let kind = ChangeKind::ConstraintChanged {
            keyword: keyword.to_owned(),
        };
        self.push(pointer, kind, true, true);
    }

    /// Matches units keyword by keyword (structural equality); reports what is left over.
    fn compare_units(
        &mut self,
        pointer: &str,
        old: &[Unit<'a>],
        new: &[Unit<'a>],
        mode: UnitMode,
        unevaluated: bool,
    ) -> Result<(), CompatError> {
        let keywords: BTreeSet<&'a str> = old.iter().chain(new).map(Unit::keyword).collect();
        for keyword in keywords {
            let olds: Vec<&Unit<'a>> = old.iter().filter(|u| u.keyword() == keyword).collect();
            let news: Vec<&Unit<'a>> = new.iter().filter(|u| u.keyword() == keyword).collect();
            let mut matched = vec![false; news.len()];
            let mut unmatched_old = 0usize;
            for o in &olds {
                let mut found = false;
                for (i, n) in news.iter().enumerate() {
                    if !matched[i] && StructEq::new(&self.resolver, pointer).units(o, n)? {
                        matched[i] = true;
                        found = true;
                        break;
                    }
                }
                if !found {
                    unmatched_old += 1;
                }
            }
            let unmatched_new = matched.iter().filter(|m| !**m).count();
            if unmatched_old == 0 && unmatched_new == 0 {
                continue;
            }
            // Under `unevaluated*`, an applicator also widens (it evaluates more properties or
            // items), so neither direction can be proven.
            let both = mode == UnitMode::Opaque
                || (unmatched_old > 0 && unmatched_new > 0)
                || (unevaluated && is_annotating_applicator(keyword));
            let (breaks_backward, breaks_forward) = if both {
                (true, true)
            } else {
                (unmatched_new > 0, unmatched_old > 0)
            };
            let kind = match mode {
                UnitMode::Conditional => match (breaks_backward, breaks_forward) {
                    (true, false) => ChangeKind::ConditionalAdded,
                    (false, true) => ChangeKind::ConditionalRemoved,
                    _ => ChangeKind::ConditionalChanged,
                },
                UnitMode::Conjunct | UnitMode::Opaque => {
                    let keyword = keyword.to_owned();
                    match (breaks_backward, breaks_forward) {
                        (true, false) => ChangeKind::ConstraintTightened { keyword },
                        (false, true) => ChangeKind::ConstraintLoosened { keyword },
                        _ => ChangeKind::ConstraintChanged { keyword },
                    }
                }
            };
            self.push(pointer, kind, breaks_backward, breaks_forward);
        }
        Ok(())
    }

    fn compare_objects(
        &mut self,
        pointer: &str,
        o: &Node<'a>,
        n: &Node<'a>,
        depth: usize,
    ) -> Result<(), CompatError> {
        self.compare_counts(
            pointer,
            ("minProperties", "maxProperties"),
            o.property_count,
            n.property_count,
        );
        let ov = o.object_view();
        let nv = n.object_view();
        let names: BTreeSet<&'a str> = ov
            .props
            .keys()
            .chain(nv.props.keys())
            .chain(&o.required)
            .chain(&n.required)
            .copied()
            .collect();
        for name in names {
            let child = push_token(pointer, name);
            let old_required = o.required.contains(name);
            let new_required = n.required.contains(name);
            match (ov.props.get(name), nv.props.get(name)) {
                (Some(old_schema), Some(new_schema)) => {
                    self.required_flags(&child, old_required, new_required);
                    self.diff(old_schema, new_schema, &child, depth + 1)?;
                }
                (None, Some(new_schema)) => {
                    self.property_added(
                        &child,
                        &ov,
                        new_schema,
                        old_required,
                        new_required,
                        depth,
                    )?;
                }
                (Some(old_schema), None) => {
                    self.property_removed(
                        &child,
                        &nv,
                        old_schema,
                        old_required,
                        new_required,
                        depth,
                    )?;
                }
                (None, None) => self.required_flags(&child, old_required, new_required),
            }
        }
        let wildcard = push_token(pointer, "*");
        match (&ov.rest, &nv.rest) {
            (Rest::Open, Rest::Open) | (Rest::Closed, Rest::Closed) => {}
            (Rest::Open | Rest::Schema(_), Rest::Closed) => {
                self.push(pointer, ChangeKind::OpenToClosed, true, false);
            }
            (Rest::Closed, Rest::Open | Rest::Schema(_)) => {
                self.push(pointer, ChangeKind::ClosedToOpen, false, true);
            }
            (Rest::Open, Rest::Schema(_)) => self.tightened(pointer, "additionalProperties"),
            (Rest::Schema(_), Rest::Open) => self.loosened(pointer, "additionalProperties"),
            (Rest::Schema(a), Rest::Schema(b)) => self.diff(a, b, &wildcard, depth + 1)?,
        }
        Ok(())
    }

    fn required_flags(&mut self, pointer: &str, old_required: bool, new_required: bool) {
        match (old_required, new_required) {
            (false, true) => self.push(pointer, ChangeKind::BecameRequired, true, false),
            (true, false) => self.push(pointer, ChangeKind::BecameOptional, false, true),
            _ => {}
        }
    }

    /// A name declared only in the new schema: the old schema treated it as undeclared.
    fn property_added(
        &mut self,
        pointer: &str,
        old_view: &ObjectView<'a>,
        new_schema: &[Loc<'a>],
        old_required: bool,
        new_required: bool,
        depth: usize,
    ) -> Result<(), CompatError> {
        let unknown = old_view.unknown_names;
        let breaks_backward = (new_required && !old_required) || unknown;
        let breaks_forward = matches!(old_view.rest, Rest::Closed) || unknown;
        let kind = ChangeKind::PropertyAdded {
            required: new_required,
        };
        self.push(pointer, kind, breaks_backward, breaks_forward);
        if old_required && !new_required {
            self.push(pointer, ChangeKind::BecameOptional, false, true);
        }
        if let (Rest::Schema(old_rest), false) = (&old_view.rest, unknown) {
            self.diff(old_rest, new_schema, pointer, depth + 1)?;
        }
        Ok(())
    }

    /// A name declared only in the old schema: the new schema treats it as undeclared.
    fn property_removed(
        &mut self,
        pointer: &str,
        new_view: &ObjectView<'a>,
        old_schema: &[Loc<'a>],
        old_required: bool,
        new_required: bool,
        depth: usize,
    ) -> Result<(), CompatError> {
        let unknown = new_view.unknown_names;
        let breaks_backward = matches!(new_view.rest, Rest::Closed) || unknown;
        let breaks_forward = old_required && !new_required;
        let kind = ChangeKind::PropertyRemoved {
            was_required: old_required,
        };
        self.push(pointer, kind, breaks_backward, breaks_forward);
        if new_required && !old_required {
            self.push(pointer, ChangeKind::BecameRequired, true, false);
        }
        if let (Rest::Schema(new_rest), false) = (&new_view.rest, unknown) {
            self.diff(old_schema, new_rest, pointer, depth + 1)?;
        }
        Ok(())
    }

    fn compare_arrays(
        &mut self,
        pointer: &str,
        o: &Node<'a>,
        n: &Node<'a>,
        depth: usize,
    ) -> Result<(), CompatError> {
        self.compare_counts(
            pointer,
            ("minItems", "maxItems"),
            o.item_count,
            n.item_count,
        );
        match (o.unique_items, n.unique_items) {
            (false, true) => self.tightened(pointer, "uniqueItems"),
            (true, false) => self.loosened(pointer, "uniqueItems"),
            _ => {}
        }
        if o.items.is_empty() && n.items.is_empty() {
            return Ok(());
        }
        if (o.unevaluated_items || n.unevaluated_items)
            && !StructEq::new(&self.resolver, pointer).lists(&o.items, &n.items)?
        {
            // `unevaluatedItems` sees which items `items` evaluated: a changed `items` can
            // both admit and reject more.
            self.changed(pointer, "unevaluatedItems");
        }
        let always = || vec![Loc::new(Rc::from(""), &TRUE)];
        let old_items = if o.items.is_empty() {
            always()
        } else {
            o.items.clone()
        };
        let new_items = if n.items.is_empty() {
            always()
        } else {
            n.items.clone()
        };
        self.diff(&old_items, &new_items, &push_token(pointer, "*"), depth + 1)
    }
}

/// A canonical identity for a conjunction of schema values.
fn identity(locs: &[Loc<'_>]) -> Vec<usize> {
    let mut ids: Vec<usize> = locs.iter().map(Loc::id).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}
