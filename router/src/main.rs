//! The federation router. Composition, planning and execution arrive with
//! the "Router core" issue; until then this binary says so and exits with an
//! error instead of pretending to serve.

fn main() {
    eprintln!(
        "router: not implemented yet. Query the users subgraph directly at http://127.0.0.1:4001/graphql"
    );
    std::process::exit(2);
}
