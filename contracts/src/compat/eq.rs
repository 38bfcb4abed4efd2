//! Structural equality of two schemas modulo annotations and `$ref` indirection: used for
//! keywords the checker does not order (`if`/`then`/`else`, `anyOf`, `pattern`, ...), where
//! "equal" is the only verdict that avoids reporting a change.

use std::collections::{BTreeSet, HashSet};
use std::rc::Rc;

use serde_json::Value;

use super::error::CompatError;
use super::normalize::Unit;
use super::resolve::{
    KeywordClass, Loc, Resolver, is_relevant, json_eq, json_set_eq, keyword_class,
};

/// Nesting limit of one structural comparison.
const MAX_DEPTH: usize = 256;

/// One structural comparison; assumes pairs already under comparison are equal
/// (co-inductively), so recursive schemas terminate.
pub(super) struct StructEq<'r, 'a> {
    resolver: &'r Resolver<'a>,
    /// The instance path being compared, for errors.
    pointer: &'r str,
    seen: HashSet<(usize, usize)>,
}

impl<'r, 'a> StructEq<'r, 'a> {
    pub(super) fn new(resolver: &'r Resolver<'a>, pointer: &'r str) -> Self {
        StructEq {
            resolver,
            pointer,
            seen: HashSet::new(),
        }
    }

    /// Whether two keyword groups (same keywords, each in its own schema object) are equal.
    pub(super) fn units(&mut self, a: &Unit<'a>, b: &Unit<'a>) -> Result<bool, CompatError> {
        if a.keys != b.keys {
            return Ok(false);
        }
        self.keys(&a.loc, &b.loc, a.keys.iter().copied(), 0)
    }

    /// Whether two conjunctions of schemas are equal, element by element.
    pub(super) fn lists(&mut self, a: &[Loc<'a>], b: &[Loc<'a>]) -> Result<bool, CompatError> {
        if a.len() != b.len() {
            return Ok(false);
        }
        for (x, y) in a.iter().zip(b) {
            if !self.schemas(x, y, 0)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn schemas(&mut self, a: &Loc<'a>, b: &Loc<'a>, depth: usize) -> Result<bool, CompatError> {
        if depth > MAX_DEPTH {
            return Err(CompatError::TooDeep {
                pointer: self.pointer.to_owned(),
                limit: MAX_DEPTH,
            });
        }
        let a = self.resolver.deref(a)?;
        let b = self.resolver.deref(b)?;
        if a.id() == b.id() || !self.seen.insert((a.id(), b.id())) {
            return Ok(true);
        }
        match (a.value, b.value) {
            (Value::Bool(x), Value::Bool(y)) => Ok(x == y),
            (Value::Bool(true), Value::Object(m)) | (Value::Object(m), Value::Bool(true)) => {
                Ok(!m.keys().any(|k| is_relevant(k)))
            }
            (Value::Object(x), Value::Object(y)) => {
                let keys: BTreeSet<&'a str> = x
                    .keys()
                    .chain(y.keys())
                    .map(String::as_str)
                    .filter(|k| is_relevant(k))
                    .collect();
                self.keys(&a, &b, keys.into_iter(), depth)
            }
            _ => Ok(false),
        }
    }

    fn keys(
        &mut self,
        a: &Loc<'a>,
        b: &Loc<'a>,
        keys: impl Iterator<Item = &'a str>,
        depth: usize,
    ) -> Result<bool, CompatError> {
        let (a_base, b_base) = (a.own_base(), b.own_base());
        for key in keys {
            let equal = match (a.value.get(key), b.value.get(key)) {
                (None, None) => true,
                (Some(x), Some(y)) => self.values(key, (&a_base, x), (&b_base, y), depth)?,
                _ => false,
            };
            if !equal {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn values(
        &mut self,
        keyword: &str,
        (a_base, a): (&Rc<str>, &'a Value),
        (b_base, b): (&Rc<str>, &'a Value),
        depth: usize,
    ) -> Result<bool, CompatError> {
        let loc_a = |v: &'a Value| Loc::new(Rc::clone(a_base), v);
        let loc_b = |v: &'a Value| Loc::new(Rc::clone(b_base), v);
        match (keyword_class(keyword), a, b) {
            (KeywordClass::Ref, Value::String(x), Value::String(y)) => {
                let x = self.resolver.resolve_ref(a_base, x)?;
                let y = self.resolver.resolve_ref(b_base, y)?;
                self.schemas(&x, &y, depth + 1)
            }
            (KeywordClass::SchemaMap, Value::Object(x), Value::Object(y)) => {
                if x.len() != y.len() || x.keys().any(|k| !y.contains_key(k)) {
                    return Ok(false);
                }
                for (k, v) in x {
                    let Some(w) = y.get(k) else { return Ok(false) };
                    if !self.schemas(&loc_a(v), &loc_b(w), depth + 1)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            (
                KeywordClass::SchemaArray | KeywordClass::Schema,
                Value::Array(x),
                Value::Array(y),
            ) => {
                if x.len() != y.len() {
                    return Ok(false);
                }
                for (v, w) in x.iter().zip(y) {
                    if !self.schemas(&loc_a(v), &loc_b(w), depth + 1)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            (KeywordClass::Schema, _, _) => self.schemas(&loc_a(a), &loc_b(b), depth + 1),
            (KeywordClass::DataSet, _, _) => Ok(json_set_eq(a, b)),
            _ => Ok(json_eq(a, b)),
        }
    }
}
