/// `schema/notifications.graphql` must match the running schema.
/// `UPDATE_SCHEMA=1` rewrites it.
#[test]
fn checked_in_sdl_matches_the_running_schema() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../schema/notifications.graphql");
    let actual = notifications::schema_sdl();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(path, &actual).expect("write schema");
    }
    let checked_in = std::fs::read_to_string(path).expect("schema/notifications.graphql exists");
    assert!(
        checked_in == actual,
        "schema/notifications.graphql is stale: run with UPDATE_SCHEMA=1"
    );
}
