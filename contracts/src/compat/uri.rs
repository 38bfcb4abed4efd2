//! URI reference resolution (RFC 3986 §5.2) and JSON-pointer fragments (RFC 6901), just as
//! much as `$id`/`$ref` handling needs. Pure string functions.

/// Splits `uri#fragment` into the URI without fragment and the fragment (if any).
pub(super) fn split_fragment(uri: &str) -> (&str, Option<&str>) {
    match uri.split_once('#') {
        Some((doc, fragment)) => (doc, Some(fragment)),
        None => (uri, None),
    }
}

/// The parts of a URI reference; borrowed from the input.
struct Parts<'s> {
    scheme: Option<&'s str>,
    authority: Option<&'s str>,
    path: &'s str,
    query: Option<&'s str>,
    fragment: Option<&'s str>,
}

fn parse(reference: &str) -> Parts<'_> {
    let (rest, fragment) = split_fragment(reference);
    let (rest, query) = match rest.split_once('?') {
        Some((r, q)) => (r, Some(q)),
        None => (rest, None),
    };
    let (scheme, rest) = match rest.find(':') {
        Some(i) if is_scheme(&rest[..i]) => (Some(&rest[..i]), &rest[i + 1..]),
        _ => (None, rest),
    };
    let (authority, path) = match rest.strip_prefix("//") {
        Some(after) => match after.find('/') {
            Some(i) => (Some(&after[..i]), &after[i..]),
            None => (Some(after), ""),
        },
        None => (None, rest),
    };
    Parts {
        scheme,
        authority,
        path,
        query,
        fragment,
    }
}

fn is_scheme(candidate: &str) -> bool {
    let mut chars = candidate.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// Resolves `reference` against `base` (RFC 3986 §5.2.2), keeping the reference's fragment.
pub(super) fn resolve(base: &str, reference: &str) -> String {
    let r = parse(reference);
    let b = parse(base);
    let (scheme, authority, path, query);
    if r.scheme.is_some() {
        scheme = r.scheme;
        authority = r.authority;
        path = remove_dot_segments(r.path);
        query = r.query;
    } else {
        scheme = b.scheme;
        if r.authority.is_some() {
            authority = r.authority;
            path = remove_dot_segments(r.path);
            query = r.query;
        } else {
            authority = b.authority;
            if r.path.is_empty() {
                path = b.path.to_owned();
                query = r.query.or(b.query);
            } else {
                query = r.query;
                if r.path.starts_with('/') {
                    path = remove_dot_segments(r.path);
                } else if b.authority.is_some() && b.path.is_empty() {
                    path = remove_dot_segments(&format!("/{}", r.path));
                } else {
                    let dir = b.path.rfind('/').map_or("", |i| &b.path[..=i]);
                    path = remove_dot_segments(&format!("{dir}{}", r.path));
                }
            }
        }
    }
    let mut out = String::new();
    if let Some(s) = scheme {
        out.push_str(s);
        out.push(':');
    }
    if let Some(a) = authority {
        out.push_str("//");
        out.push_str(a);
    }
    out.push_str(&path);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    if let Some(f) = r.fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

/// RFC 3986 §5.2.4.
fn remove_dot_segments(path: &str) -> String {
    let mut input = path.to_owned();
    let mut output = String::new();
    while !input.is_empty() {
        if input.starts_with("../") {
            input.drain(..3);
        } else if input.starts_with("./") {
            input.drain(..2);
        } else if input.starts_with("/./") {
            input.replace_range(..3, "/");
        } else if input == "/." {
            input = "/".to_owned();
        } else if input.starts_with("/../") {
            input.replace_range(..4, "/");
            pop_segment(&mut output);
        } else if input == "/.." {
            input = "/".to_owned();
            pop_segment(&mut output);
        } else if input == "." || input == ".." {
            input.clear();
        } else {
            let start = usize::from(input.starts_with('/'));
            let end = input[start..].find('/').map_or(input.len(), |i| i + start);
            output.push_str(&input[..end]);
            input.drain(..end);
        }
    }
    output
}

fn pop_segment(output: &mut String) {
    match output.rfind('/') {
        Some(i) => output.truncate(i),
        None => output.clear(),
    }
}

/// Percent-decodes a URI fragment; `None` if the result is not UTF-8 or an escape is malformed.
pub(super) fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The reference tokens of a JSON pointer (`/a/b~1c` → `["a", "b/c"]`); `None` if it does not
/// start with `/` and is not empty.
pub(super) fn pointer_tokens(pointer: &str) -> Option<Vec<String>> {
    if pointer.is_empty() {
        return Some(Vec::new());
    }
    let rest = pointer.strip_prefix('/')?;
    Some(
        rest.split('/')
            .map(|t| t.replace("~1", "/").replace("~0", "~"))
            .collect(),
    )
}

/// Appends one token to an instance pointer, escaping `~` and `/`.
pub(super) fn push_token(pointer: &str, token: &str) -> String {
    format!("{pointer}/{}", token.replace('~', "~0").replace('/', "~1"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_relative_references() {
        let base = "https://schemas.rescue-hub.invalid/REFERRAL/v2.json";
        assert_eq!(
            resolve(base, "../common/v1.json#/$defs/PersonIdentity"),
            "https://schemas.rescue-hub.invalid/common/v1.json#/$defs/PersonIdentity"
        );
        assert_eq!(resolve(base, "#/$defs/X"), format!("{base}#/$defs/X"));
        assert_eq!(
            resolve(base, "v1.json"),
            "https://schemas.rescue-hub.invalid/REFERRAL/v1.json"
        );
        assert_eq!(
            resolve(base, "/a/./b/../c"),
            "https://schemas.rescue-hub.invalid/a/c"
        );
        assert_eq!(resolve(base, "urn:x:y"), "urn:x:y");
        assert_eq!(
            resolve(base, "//other.invalid/x"),
            "https://other.invalid/x"
        );
    }

    #[test]
    fn parses_pointers() {
        assert_eq!(pointer_tokens(""), Some(vec![]));
        assert_eq!(
            pointer_tokens("/$defs/a~1b~0c"),
            Some(vec!["$defs".to_owned(), "a/b~c".to_owned()])
        );
        assert_eq!(pointer_tokens("x"), None);
        assert_eq!(percent_decode("%24defs").as_deref(), Some("$defs"));
        assert_eq!(push_token("/a", "b/c~"), "/a/b~1c~0");
    }
}
