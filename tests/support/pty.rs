//! Drives the real `huddle` binary in a pseudo-terminal, like a person at a keyboard, and reads
//! its screen through a vt100 parser.

// Each test binary uses a different part of the support code.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, ExitStatus, MasterPty, PtySize, native_pty_system};

/// How often `wait_for` looks at the screen.
const POLL: Duration = Duration::from_millis(50);

/// The binary under test, running in a pty whose output feeds a vt100 parser.
pub struct Pty {
    master: Box<dyn MasterPty + Send>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn Child + Send + Sync>,
    parser: Arc<Mutex<vt100::Parser>>,
    raw: Arc<Mutex<Vec<u8>>>,
    reader: Option<JoinHandle<()>>,
}

impl Pty {
    /// Starts `huddle` with `args` in a `cols`x`rows` terminal, with a clean environment whose
    /// home, XDG directories and working directory are all `home`, and the offline simulation.
    pub fn spawn(cols: u16, rows: u16, home: &Path, args: &[&str]) -> Self {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("open a pty");
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_huddle"));
        cmd.args(args);
        cmd.env_clear();
        for (k, v) in huddle::bench::clean_env(home) {
            cmd.env(k, v);
        }
        cmd.env("TERM", "xterm-256color");
        cmd.env("HUDDLE_PROVIDER", "sim");
        cmd.env("HUDDLE_SEED", "7");
        cmd.cwd(home);
        let child = pair
            .slave
            .spawn_command(cmd)
            .expect("spawn huddle in the pty");
        // Only the child holds the terminal's slave side now, so reads end when it exits.
        drop(pair.slave);

        let parser = Arc::new(Mutex::new(vt100::Parser::new(
            NonZeroU16::new(rows).expect("rows > 0"),
            NonZeroU16::new(cols).expect("cols > 0"),
            0,
        )));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        let reader = {
            let parser = Arc::clone(&parser);
            let raw = Arc::clone(&raw);
            std::thread::spawn(move || {
                let mut buf = [0u8; 8192];
                loop {
                    match reader.read(&mut buf) {
                        // EOF, or EIO once the child closed the terminal (Linux).
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            lock(&raw).extend_from_slice(&buf[..n]);
                            lock(&parser).process(&buf[..n]);
                        }
                    }
                }
            })
        };
        let writer = pair.master.take_writer().expect("pty writer");
        Self {
            master: pair.master,
            writer,
            child,
            parser,
            raw,
            reader: Some(reader),
        }
    }

    /// Types `text` (keys as the terminal sends them: "\r" is Enter, "\x03" is Ctrl-C).
    pub fn send(&mut self, text: &str) {
        self.writer
            .write_all(text.as_bytes())
            .and_then(|()| self.writer.flush())
            .unwrap_or_else(|e| panic!("typing {text:?}: {e}\n{}", self.dump()));
    }

    /// Types `text` one key at a time, the way a person does.
    pub fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.send(c.encode_utf8(&mut [0; 4]));
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// The parser, to look at the screen and the terminal's modes.
    pub fn parser(&self) -> MutexGuard<'_, vt100::Parser> {
        lock(&self.parser)
    }

    /// The text on the screen, one line per row.
    pub fn screen(&self) -> String {
        self.parser().screen().contents()
    }

    /// The screen's rows (without trailing blanks).
    pub fn rows(&self) -> Vec<String> {
        let p = self.parser();
        let (_, cols) = p.screen().size();
        p.screen().rows(0, cols.get()).collect()
    }

    /// The screen's rows, restricted to the `width` columns from `start`.
    pub fn columns(&self, start: u16, width: u16) -> Vec<String> {
        self.parser().screen().rows(start, width).collect()
    }

    /// Everything the binary wrote so far.
    pub fn raw(&self) -> Vec<u8> {
        lock(&self.raw).clone()
    }

    /// The screen, framed, for failure messages.
    pub fn dump(&self) -> String {
        let rows = self.rows();
        let width = usize::from(self.parser().screen().size().1.get());
        let bar = "-".repeat(width + 2);
        let mut out = format!("+{bar}+\n");
        for r in rows {
            let pad = width.saturating_sub(r.chars().count());
            out.push_str(&format!("| {r}{} |\n", " ".repeat(pad)));
        }
        out.push_str(&format!("+{bar}+"));
        out
    }

    /// Polls the screen until `cond` holds for its text and returns that text; panics with the
    /// screen and `what` on timeout, or if the binary exits first.
    pub fn wait_for(
        &mut self,
        cond: impl Fn(&str) -> bool,
        timeout: Duration,
        what: &str,
    ) -> String {
        self.wait_until(|p| cond(&p.screen()), timeout, what);
        self.screen()
    }

    /// Polls until `cond` holds for the whole terminal; panics with the screen and `what` on
    /// timeout, or if the binary exits first.
    pub fn wait_until(&mut self, cond: impl Fn(&Self) -> bool, timeout: Duration, what: &str) {
        let start = Instant::now();
        loop {
            if cond(self) {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                // Let the reader take the last output, then look once more.
                std::thread::sleep(Duration::from_millis(200));
                if cond(self) {
                    return;
                }
                panic!(
                    "huddle exited ({status:?}) while waiting for: {what}\nscreen:\n{}\noutput tail: {}",
                    self.dump(),
                    self.raw_tail()
                );
            }
            if start.elapsed() > timeout {
                panic!(
                    "timed out after {timeout:?} waiting for: {what}\nscreen:\n{}",
                    self.dump()
                );
            }
            std::thread::sleep(POLL);
        }
    }

    /// The last part of the raw output, escaped, for failure messages.
    pub fn raw_tail(&self) -> String {
        let raw = self.raw();
        let from = raw.len().saturating_sub(600);
        String::from_utf8_lossy(&raw[from..])
            .escape_debug()
            .to_string()
    }

    /// Waits for the binary to exit, then for the reader to take all its output; panics with
    /// the screen if it does not exit within `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let start = Instant::now();
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) => {}
                Err(e) => panic!("waiting for huddle: {e}"),
            }
            if start.elapsed() > timeout {
                let _ = self.child.kill();
                panic!(
                    "huddle did not exit within {timeout:?}\nscreen:\n{}",
                    self.dump()
                );
            }
            std::thread::sleep(POLL);
        };
        // The child closed its side of the pty: the reader drains what is left and ends.
        if let Some(reader) = self.reader.take() {
            let deadline = Instant::now() + Duration::from_secs(10);
            while !reader.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            if reader.is_finished() {
                let _ = reader.join();
            }
        }
        status
    }

    /// The pty's line discipline flags that are set, by name (e.g. "ICANON", "ECHO").
    #[cfg(unix)]
    pub fn local_flags(&self) -> Vec<&'static str> {
        let termios = self
            .master
            .get_termios()
            .expect("read the termios of the pty");
        termios
            .local_flags
            .iter_names()
            .map(|(name, _)| name)
            .collect()
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        // Never leave the binary behind when a test fails.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
