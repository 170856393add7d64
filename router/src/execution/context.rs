//! Fetches of `@fromContext` fields (see `planning::context`): each entity
//! gets the values its nearest ancestor that sets the context holds, and
//! entities with the same values share one request.

use std::collections::{BTreeSet, HashSet};

use serde_json::{Map, Value as JsonValue};

use super::{EntityJob, Run, paths, value::Value};
use crate::planning::ContextArgument;

/// Entities by their address in the response tree.
type Addresses = HashSet<Vec<u32>>;

impl<'a: 'b, 'b> Run<'a, 'b> {
    /// `jobs` (one `_entities` each) with the contextual `arguments`: one
    /// request per distinct set of values, each job restricted to the
    /// entities that have those values.
    pub(super) async fn contextual_fetch(
        &self,
        (service, query, usages): (&str, &str, Option<&'a BTreeSet<String>>),
        jobs: Vec<EntityJob<'a>>,
        arguments: Vec<&ContextArgument>,
        group: usize,
    ) {
        let matcher = self.exec.matcher();
        // Per distinct values: per job, the addresses of its entities.
        let mut groups: Vec<(Map<String, JsonValue>, Vec<Addresses>)> = Vec::new();
        {
            let data = self.lock_data();
            for (index, job) in jobs.iter().enumerate() {
                for path in &job.paths {
                    let mut address = Vec::new();
                    paths::each(&data, path, &matcher, &mut address, &mut |_, address| {
                        let values: Map<String, JsonValue> = arguments
                            .iter()
                            .map(|a| (a.variable.clone(), context_value(&data, address, &a.alias)))
                            .collect();
                        let at = match groups.iter().position(|(known, _)| *known == values) {
                            Some(at) => at,
                            None => {
                                groups.push((values, vec![HashSet::new(); jobs.len()]));
                                groups.len() - 1
                            }
                        };
                        groups[at].1[index].insert(address.to_vec());
                    });
                }
            }
        }
        let requests = groups.into_iter().map(|(values, entities)| {
            let restricted = jobs
                .iter()
                .zip(entities)
                .map(|(job, only)| EntityJob { only: Some(only), ..job.clone() })
                .collect();
            self.entity_fetch(service, query, usages, restricted, values, group)
        });
        futures::future::join_all(requests).await;
    }
}

/// The value under `alias` on the nearest object above the one at
/// `address` that has it; `null` when none does.
fn context_value(data: &Value<'_>, address: &[u32], alias: &str) -> JsonValue {
    let mut ancestors = vec![data];
    let mut current = data;
    for &position in address {
        let index = usize::try_from(position).unwrap_or(usize::MAX);
        let next = match current {
            Value::Object(object) => object.get(index).map(|(_, v)| v),
            Value::List(items) => items.get(index),
            _ => None,
        };
        let Some(next) = next else { return JsonValue::Null };
        current = next;
        if matches!(current, Value::Object(_)) {
            ancestors.push(current);
        }
    }
    // The entity itself reads the context; it does not set it for itself.
    ancestors.pop();
    ancestors
        .iter()
        .rev()
        .find_map(|ancestor| ancestor.get(alias))
        .map(|value| {
            let mut text = Vec::new();
            value.write_json(&mut text);
            serde_json::from_slice(&text).unwrap_or(JsonValue::Null)
        })
        .unwrap_or(JsonValue::Null)
}
