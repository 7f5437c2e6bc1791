//! GET actions: the payload object as query parameters.

use lc_protocol::Error;
use serde_json::Value;
use serde_json::value::RawValue;

/// The query pairs of a GET action's payload: strings as they are, numbers and booleans
/// in JSON form, arrays as repeated `key[]`, nested objects as JSON text, nulls left out.
///
/// # Errors
/// [`Error::InvalidInput`] when the payload is not a JSON object.
pub(crate) fn to_query(action: &str, payload: &RawValue) -> Result<Vec<(String, String)>, Error> {
    let value: Value = serde_json::from_str(payload.get())
        .map_err(|err| Error::InvalidInput(format!("`{action}` payload: {err}")))?;
    let Value::Object(fields) = value else {
        return Err(Error::InvalidInput(format!(
            "`{action}` payload must be a JSON object"
        )));
    };
    let mut pairs = Vec::new();
    for (key, value) in fields {
        match value {
            Value::Null => {}
            Value::Array(items) => {
                let key = format!("{key}[]");
                pairs.extend(items.into_iter().map(|item| (key.clone(), scalar(item))));
            }
            other => pairs.push((key, scalar(other))),
        }
    }
    Ok(pairs)
}

fn scalar(value: Value) -> String {
    match value {
        Value::String(text) => text,
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(json: &str) -> Vec<(String, String)> {
        to_query("a", &RawValue::from_string(json.into()).unwrap()).unwrap()
    }

    #[test]
    fn scalars_arrays_and_objects_become_pairs() {
        assert_eq!(
            pairs(r#"{"id":3,"name":"x y","test":true,"skip":null,"tags":["a","b"],"o":{"k":1}}"#),
            [
                ("id", "3"),
                ("name", "x y"),
                ("o", r#"{"k":1}"#),
                ("tags[]", "a"),
                ("tags[]", "b"),
                ("test", "true"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
        );
    }

    #[test]
    fn a_non_object_payload_is_refused() {
        let raw = RawValue::from_string("[1]".into()).unwrap();
        assert!(matches!(to_query("a", &raw), Err(Error::InvalidInput(_))));
    }
}
