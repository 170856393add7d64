//! Client operations (`.graphql` files) and what of the schema each uses:
//! type names reached, `Type.field` and `Type.field(argument:)`
//! coordinates, and input types given in variables.

use std::{
    collections::{BTreeSet, HashMap},
    path::{Path, PathBuf},
};

use graphql_tools::static_graphql::query::{
    Definition, Document, FragmentDefinition, OperationDefinition, Selection, SelectionSet,
    TypeCondition,
};

use crate::schema::{SchemaIndex, named_type};

/// One operation of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    pub file: PathBuf,
    /// Its name, or `(anonymous)`.
    pub name: String,
}

/// Every operation in the `.graphql` files under `dir`, with what it uses
/// of `schema`. A file that does not parse is an error.
pub fn usages(
    dir: &Path,
    schema: &SchemaIndex,
) -> anyhow::Result<Vec<(Operation, BTreeSet<String>)>> {
    let mut files = Vec::new();
    collect_files(dir, &mut files)?;
    files.sort();
    let mut found = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file)?;
        let document: Document = graphql_tools::parser::parse_query::<String>(&text)
            .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?
            .into_static();
        let fragments: HashMap<&str, &FragmentDefinition> = document
            .definitions
            .iter()
            .filter_map(|d| match d {
                Definition::Fragment(f) => Some((f.name.as_str(), f)),
                Definition::Operation(_) => None,
            })
            .collect();
        for definition in &document.definitions {
            let Definition::Operation(operation) = definition else { continue };
            let (name, root, selections, variables) = match operation {
                OperationDefinition::Query(q) => (
                    q.name.clone(),
                    Some(&schema.query_type),
                    &q.selection_set,
                    &q.variable_definitions[..],
                ),
                OperationDefinition::SelectionSet(s) => {
                    (None, Some(&schema.query_type), s, &[][..])
                }
                OperationDefinition::Mutation(m) => (
                    m.name.clone(),
                    schema.mutation_type.as_ref(),
                    &m.selection_set,
                    &m.variable_definitions[..],
                ),
                OperationDefinition::Subscription(s) => (
                    s.name.clone(),
                    schema.subscription_type.as_ref(),
                    &s.selection_set,
                    &s.variable_definitions[..],
                ),
            };
            let mut used = BTreeSet::new();
            for variable in variables {
                used.insert(named_type(&variable.var_type).to_owned());
            }
            if let Some(root) = root {
                let mut walk = Walk { schema, fragments: &fragments, used: &mut used, depth: 0 };
                walk.selections(root, selections);
            }
            let name = name.unwrap_or_else(|| "(anonymous)".into());
            found.push((Operation { file: file.clone(), name }, used));
        }
    }
    Ok(found)
}

fn collect_files(dir: &Path, files: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_files(&path, files)?;
        } else if path.extension().is_some_and(|e| e == "graphql" || e == "gql") {
            files.push(path);
        }
    }
    Ok(())
}

struct Walk<'a> {
    schema: &'a SchemaIndex,
    fragments: &'a HashMap<&'a str, &'a FragmentDefinition>,
    used: &'a mut BTreeSet<String>,
    /// Guards against fragments that spread each other.
    depth: usize,
}

impl Walk<'_> {
    fn selections(&mut self, parent: &str, selections: &SelectionSet) {
        if self.depth > 64 {
            return;
        }
        self.depth += 1;
        self.used.insert(parent.to_owned());
        for selection in &selections.items {
            match selection {
                Selection::Field(field) => {
                    let coordinate = format!("{parent}.{}", field.name);
                    for (argument, _) in &field.arguments {
                        self.used.insert(format!("{coordinate}({argument}:)"));
                    }
                    let definition = self
                        .schema
                        .types
                        .get(parent)
                        .and_then(|t| t.fields.get(&field.name))
                        .map(|f| named_type(&f.definition.field_type).to_owned());
                    self.used.insert(coordinate);
                    if let Some(named) = definition {
                        self.used.insert(named.clone());
                        self.selections(&named, &field.selection_set);
                    }
                }
                Selection::InlineFragment(fragment) => {
                    let on = match &fragment.type_condition {
                        Some(TypeCondition::On(on)) => on.clone(),
                        None => parent.to_owned(),
                    };
                    self.selections(&on, &fragment.selection_set);
                }
                Selection::FragmentSpread(spread) => {
                    if let Some(fragment) = self.fragments.get(spread.fragment_name.as_str()) {
                        let TypeCondition::On(on) = &fragment.type_condition;
                        self.selections(on, &fragment.selection_set);
                    }
                }
            }
        }
        self.depth -= 1;
    }
}
