// SPDX-License-Identifier: GPL-2.0-only
//! Rust names (v0 mangling): Cache::put, a method in module store, leaks a
//! boxed record of 8 u64 every ~20 ms.
//!
//!   rsleak [--iterations N]    default: until killed
//!
//! Prints "ready <pid>" once the loop starts; exits 0.

use std::io::Write;

mod store {
    pub struct Cache {
        pub kept: usize,
    }

    impl Cache {
        #[inline(never)]
        pub fn put(&mut self, id: u64) -> &'static mut [u64; 8] {
            let r = Box::leak(Box::new([id; 8])); /* LEAK:put */
            self.kept += 1;
            r
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let iterations: Option<u64> = match args.as_slice() {
        [_] => None,
        [_, flag, n] if flag == "--iterations" => n.parse().ok(),
        _ => {
            eprintln!("usage: rsleak [--iterations N]");
            std::process::exit(2);
        }
    };
    let mut cache = store::Cache { kept: 0 };
    let mut out = std::io::stdout();
    let _ = writeln!(out, "ready {}", std::process::id());
    let _ = out.flush();
    let (mut done, mut sum) = (0, 0);
    while iterations.map_or(true, |n| done < n) {
        sum += cache.put(done)[7]; /* CALL:main */
        std::thread::sleep(std::time::Duration::from_millis(20));
        done += 1;
    }
    std::process::exit(if sum == done * (done.max(1) - 1) / 2 { 0 } else { 1 });
}
