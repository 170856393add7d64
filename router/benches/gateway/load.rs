//! Load from `wrk` (Debian's package), and what the server spent on it,
//! read from `/proc`.

use std::{path::Path, process::Command, time::Duration};

/// One load run against one server.
#[derive(Debug, Clone, Copy)]
pub struct Figures {
    pub requests_per_second: f64,
    pub p50: Duration,
    pub p99: Duration,
    pub requests: u64,
    /// Requests that were not 2xx, or failed at the socket.
    pub failures: u64,
    /// CPU time the server's process used per request.
    pub cpu_per_request: Duration,
}

/// Whether every request carries its own `Authorization` (as in the public
/// benchmark's k6 script: identical subgraph requests cannot be shared in
/// flight), or all requests are byte-identical (plain wrk).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requests {
    UniqueCredentials,
    Identical,
}

/// POSTs `body` to `url` from `connections` connections for `seconds`,
/// while measuring `server`'s CPU time.
pub fn run(
    url: &str,
    body: &str,
    requests: Requests,
    connections: u32,
    seconds: u64,
    server: u32,
) -> Figures {
    let script = std::env::temp_dir().join(format!("gateway-bench-{}.lua", std::process::id()));
    let lua_body = body.replace('\\', "\\\\").replace('"', "\\\"");
    let authorization = match requests {
        Requests::UniqueCredentials => {
            "[\"Authorization\"] = \"Bearer bench-\" .. math.random(1, 2000000000), "
        }
        Requests::Identical => "",
    };
    std::fs::write(
        &script,
        format!(
            "local body = \"{lua_body}\"\nmath.randomseed(os.time() + math.floor(os.clock() * 1e6))\nrequest = function()\n  local headers = {{ {authorization}[\"Content-Type\"] = \"application/json\" }}\n  return wrk.format(\"POST\", nil, headers, body)\nend\n"
        ),
    )
    .expect("write the wrk script");
    let threads = connections.clamp(1, 2);
    let cpu_before = cpu_time(server);
    let output = Command::new("wrk")
        .args(["-t", &threads.to_string(), "-c", &connections.to_string()])
        .args(["-d", &format!("{seconds}s"), "--latency", "-s"])
        .arg(&script)
        .arg(url)
        .output()
        .expect("wrk runs (apt-get install wrk)");
    let cpu = cpu_time(server).saturating_sub(cpu_before);
    let _ = std::fs::remove_file(&script);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "wrk failed: {text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    parse(&text, cpu)
}

fn parse(text: &str, cpu: Duration) -> Figures {
    let mut figures = Figures {
        requests_per_second: 0.0,
        p50: Duration::ZERO,
        p99: Duration::ZERO,
        requests: 0,
        failures: 0,
        cpu_per_request: Duration::ZERO,
    };
    for line in text.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["Requests/sec:", rate] => figures.requests_per_second = rate.parse().unwrap_or(0.0),
            ["50%", latency] => figures.p50 = duration(latency),
            ["99%", latency] => figures.p99 = duration(latency),
            [count, "requests", "in", ..] => figures.requests = count.parse().unwrap_or(0),
            ["Non-2xx", "or", "3xx", "responses:", count] => {
                figures.failures += count.parse::<u64>().unwrap_or(0)
            }
            ["Socket", "errors:", rest @ ..] => {
                figures.failures += rest
                    .iter()
                    .filter_map(|w| w.trim_end_matches(',').parse::<u64>().ok())
                    .sum::<u64>()
            }
            _ => {}
        }
    }
    if figures.requests > 0 {
        figures.cpu_per_request = cpu / u32::try_from(figures.requests).unwrap_or(u32::MAX);
    }
    figures
}

/// `11.50ms`, `850.00us`, `1.02s`.
fn duration(text: &str) -> Duration {
    let split = text.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(text.len());
    let value: f64 = text[..split].parse().unwrap_or(0.0);
    let seconds = match &text[split..] {
        "us" => value / 1e6,
        "ms" => value / 1e3,
        "s" => value,
        "m" => value * 60.0,
        _ => 0.0,
    };
    Duration::from_secs_f64(seconds)
}

/// User plus system CPU time of a process so far.
pub fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name, which is in parentheses and may
    // contain spaces: state is field 3, utime 14 and stime 15.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<u64> =
        after.split_whitespace().skip(11).take(2).filter_map(|f| f.parse().ok()).collect();
    let ticks: u64 = fields.iter().sum();
    Duration::from_secs_f64(ticks as f64 / clock_ticks_per_second())
}

fn clock_ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

/// The most resident memory the process has had (`VmHWM`), in MB.
pub fn peak_rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(Path::new("/proc").join(pid.to_string()).join("status"))
        .unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}
