/// `schema/users.graphql` is what other teams and `router compose` read; it
/// must match what the service serves. `UPDATE_SCHEMA=1` rewrites it.
#[test]
fn checked_in_sdl_matches_the_running_schema() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../schema/users.graphql");
    let actual = users::schema_sdl();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(path, &actual).expect("write schema");
    }
    let checked_in = std::fs::read_to_string(path).expect("schema/users.graphql exists");
    assert!(
        checked_in == actual,
        "schema/users.graphql is stale: run `UPDATE_SCHEMA=1 cargo test -p users --test api schema_file`"
    );
}
