//! The command line every subgraph binary shares:
//! `<binary>` serves, `<binary> schema` prints the SDL, `<binary> seed`
//! applies demo data.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Serve,
    Schema,
    Seed,
}

impl Command {
    pub fn from_args() -> anyhow::Result<Self> {
        let args: Vec<String> = std::env::args().skip(1).collect();
        match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
            [] | ["serve"] => Ok(Self::Serve),
            ["schema"] => Ok(Self::Schema),
            ["seed"] => Ok(Self::Seed),
            other => anyhow::bail!(
                "unknown arguments {other:?}; usage: <binary> [serve | schema | seed]"
            ),
        }
    }
}
