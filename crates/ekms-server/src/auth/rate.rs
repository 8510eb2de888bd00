//! The rate limits of `POST /register`: fixed one-minute windows per network prefix, and one
//! fixed one-hour window for all clients together.
//!
//! A prefix is what one client can cheaply vary its address within: an IPv4 /24 or an IPv6
//! /64 (an IPv4-mapped IPv6 address counts as its IPv4 address). Counting exact addresses let
//! one host with many loopback or IPv6 addresses register without bound.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);
/// Beyond this many tracked prefixes, finished windows are dropped before a new one is added.
const PRUNE_AT: usize = 10_000;

/// The network prefix an address counts under.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Prefix {
    /// The first three bytes of an IPv4 address (/24).
    V4([u8; 3]),
    /// The first eight bytes of an IPv6 address (/64).
    V6([u8; 8]),
}

impl Prefix {
    pub fn of(ip: IpAddr) -> Self {
        match ip.to_canonical() {
            IpAddr::V4(v4) => {
                let [a, b, c, _] = v4.octets();
                Prefix::V4([a, b, c])
            }
            IpAddr::V6(v6) => {
                let [a, b, c, d, e, f, g, h, ..] = v6.octets();
                Prefix::V6([a, b, c, d, e, f, g, h])
            }
        }
    }
}

/// Why a registration was refused, and after how many seconds it may be tried again.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The prefix's per-minute count is reached.
    Prefix(u64),
    /// The total per hour is reached.
    Total(u64),
}

impl Refusal {
    pub fn retry_after(&self) -> u64 {
        match self {
            Refusal::Prefix(s) | Refusal::Total(s) => *s,
        }
    }
}

#[derive(Default)]
struct Windows {
    prefixes: HashMap<Prefix, (Instant, u32)>,
    total: Option<(Instant, u32)>,
}

/// At most `per_minute` admissions per prefix per window and `per_hour` in all per hour; 0
/// means no limit for either.
pub struct RateLimiter {
    per_minute: u32,
    per_hour: u32,
    windows: Mutex<Windows>,
}

impl RateLimiter {
    pub fn new(per_minute: u32, per_hour: u32) -> Self {
        Self {
            per_minute,
            per_hour,
            windows: Mutex::new(Windows::default()),
        }
    }

    /// Admits one request from `ip`, or says why not and when to try again. A refused request
    /// counts in neither window.
    pub fn check(&self, ip: IpAddr) -> Result<(), Refusal> {
        self.check_at(ip, Instant::now())
    }

    fn check_at(&self, ip: IpAddr, now: Instant) -> Result<(), Refusal> {
        let mut w = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let w = &mut *w;
        // Both windows are checked before either is counted.
        let prefix = if self.per_minute > 0 {
            if w.prefixes.len() >= PRUNE_AT {
                w.prefixes
                    .retain(|_, (start, _)| now.duration_since(*start) < MINUTE);
            }
            let slot = w.prefixes.entry(Prefix::of(ip)).or_insert((now, 0));
            if now.duration_since(slot.0) >= MINUTE {
                *slot = (now, 0);
            }
            if slot.1 >= self.per_minute {
                let left = MINUTE.saturating_sub(now.duration_since(slot.0));
                return Err(Refusal::Prefix(left.as_secs().max(1)));
            }
            Some(slot)
        } else {
            None
        };
        if self.per_hour > 0 {
            let total = w.total.get_or_insert((now, 0));
            if now.duration_since(total.0) >= HOUR {
                *total = (now, 0);
            }
            if total.1 >= self.per_hour {
                let left = HOUR.saturating_sub(now.duration_since(total.0));
                return Err(Refusal::Total(left.as_secs().max(1)));
            }
            total.1 += 1;
        }
        if let Some(slot) = prefix {
            slot.1 += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn limit_per_prefix_and_window() {
        let limiter = RateLimiter::new(2, 0);
        let t0 = Instant::now();
        // Two addresses of one /24 share the count.
        assert!(limiter.check_at(ip("10.0.0.1"), t0).is_ok());
        assert!(limiter.check_at(ip("10.0.0.2"), t0).is_ok());
        let refusal = limiter
            .check_at(ip("10.0.0.3"), t0 + Duration::from_secs(10))
            .unwrap_err();
        assert_eq!(refusal, Refusal::Prefix(50));
        // Another /24 has its own.
        assert!(limiter.check_at(ip("10.0.1.1"), t0).is_ok());
        assert!(limiter.check_at(ip("10.0.0.1"), t0 + MINUTE).is_ok());
        assert!(RateLimiter::new(0, 0).check_at(ip("10.0.0.1"), t0).is_ok());
    }

    #[test]
    fn ipv6_counts_per_64_and_mapped_ipv4_as_ipv4() {
        let limiter = RateLimiter::new(1, 0);
        let t0 = Instant::now();
        assert!(limiter.check_at(ip("2001:db8:1:2::1"), t0).is_ok());
        assert!(limiter.check_at(ip("2001:db8:1:2:ffff::9"), t0).is_err());
        assert!(limiter.check_at(ip("2001:db8:1:3::1"), t0).is_ok());
        assert!(limiter.check_at(ip("192.0.2.1"), t0).is_ok());
        assert!(limiter.check_at(ip("::ffff:192.0.2.77"), t0).is_err());
        assert_eq!(Prefix::of(ip("::ffff:192.0.2.77")), Prefix::V4([192, 0, 2]));
    }

    #[test]
    fn total_per_hour() {
        let limiter = RateLimiter::new(0, 3);
        let t0 = Instant::now();
        for n in 0..3u8 {
            assert!(limiter.check_at(IpAddr::from([10, n, 0, 1]), t0).is_ok());
        }
        let refusal = limiter
            .check_at(ip("10.9.0.1"), t0 + Duration::from_secs(600))
            .unwrap_err();
        assert_eq!(refusal, Refusal::Total(3000));
        assert!(limiter.check_at(ip("10.9.0.1"), t0 + HOUR).is_ok());
    }

    #[test]
    fn a_refusal_counts_in_no_window() {
        let limiter = RateLimiter::new(1, 2);
        let t0 = Instant::now();
        assert!(limiter.check_at(ip("10.0.0.1"), t0).is_ok());
        // Refused by its prefix: the hourly total is not spent.
        assert!(limiter.check_at(ip("10.0.0.2"), t0).is_err());
        assert!(limiter.check_at(ip("10.0.1.1"), t0).is_ok());
        assert_eq!(
            limiter.check_at(ip("10.0.2.1"), t0),
            Err(Refusal::Total(3600))
        );
    }
}
