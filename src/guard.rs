//! The library's boundary against panics from the engine. Tantivy trusts the bytes of
//! its files: a flipped byte in a posting list or a field norm can make it index out of
//! bounds. [`catch`] runs index work so that such a panic becomes
//! [`Error::Damaged`], a one-line error naming the index, and prints nothing: the
//! process-wide panic hook stays quiet for panics inside guarded work (on the guarded
//! thread and on threads it runs through [`quietly`]) and speaks as before elsewhere.

use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::sync::{Mutex, Once};

use crate::error::{Error, Result};

thread_local! {
    /// Guarded calls open on this thread: its panics are caught, not printed.
    static QUIET: Cell<u32> = const { Cell::new(0) };
    /// What the last quiet panic on this thread said, and where.
    static LAST: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// What the last quiet panic on any thread said: a panic on a thread that guarded work
/// spawned reaches the guarded caller only as a payload.
static LAST_ANYWHERE: Mutex<Option<String>> = Mutex::new(None);

static HOOK: Once = Once::new();

/// Chains a hook before the one in place: quiet panics are remembered, not printed.
fn install_hook() {
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if QUIET.with(Cell::get) == 0 {
                return previous(info);
            }
            let message = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".into());
            let at = info.location().map_or(String::new(), |l| {
                // The crate-relative part is enough: tantivy-0.27.0/src/fieldnorm/reader.rs.
                let file = l.file();
                let short = file.rfind("/src/").map_or(file, |i| &file[i + 5..]);
                format!(" at {short}:{}", l.line())
            });
            if message == "a scoped thread panicked" {
                return; // the scoped thread's own panic, noted already, says more
            }
            let said = format!("{message}{at}").replace(['\n', '\r'], " ");
            if let Ok(mut last) = LAST_ANYWHERE.lock() {
                *last = Some(said.clone());
            }
            LAST.with(|last| *last.borrow_mut() = Some(said));
        }));
    });
}

/// Runs `f` with its panics kept off stderr; for threads that guarded work spawns (the
/// panic still unwinds, to the guarded caller that joins the thread).
pub fn quietly<T>(f: impl FnOnce() -> T) -> T {
    install_hook();
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            QUIET.with(|q| q.set(q.get().saturating_sub(1)));
        }
    }
    QUIET.with(|q| q.set(q.get() + 1));
    let _reset = Reset;
    f()
}

/// Runs index work on the index in `dir`; a panic becomes [`Error::Damaged`].
pub fn catch<T>(dir: &Path, f: impl FnOnce() -> Result<T>) -> Result<T> {
    match quietly(|| panic::catch_unwind(AssertUnwindSafe(f))) {
        Ok(result) => result,
        Err(_) => {
            let said = LAST
                .with(|last| last.borrow_mut().take())
                .or_else(|| LAST_ANYWHERE.lock().ok().and_then(|mut l| l.take()))
                .unwrap_or_else(|| "a panic".into());
            Err(Error::Damaged {
                path: dir.to_path_buf(),
                problem: format!("reading it failed inside the engine ({said})"),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_a_damaged_error() {
        let err = catch(Path::new("idx"), || -> Result<()> {
            let v: Vec<u8> = Vec::new();
            let i = v.len() + 3;
            let _ = v[i];
            Ok(())
        })
        .unwrap_err();
        let message = err.to_string();
        assert!(matches!(err, Error::Damaged { .. }), "{message}");
        assert!(message.contains("index out of bounds"), "{message}");
        assert!(message.contains("guard.rs"), "{message}");
        assert!(!message.contains('\n'));
    }

    #[test]
    fn a_panic_on_a_scoped_thread_is_caught_too() {
        let err = catch(Path::new("idx"), || -> Result<()> {
            std::thread::scope(|s| {
                s.spawn(|| quietly(|| panic!("deep down")));
            });
            Ok(())
        })
        .unwrap_err();
        assert!(err.to_string().contains("deep down"), "{err}");
    }

    #[test]
    fn results_pass_through() {
        assert_eq!(catch(Path::new("idx"), || Ok(7)).unwrap(), 7);
        assert!(matches!(
            catch(Path::new("idx"), || -> Result<()> {
                Err(Error::BadRequest("no".into()))
            }),
            Err(Error::BadRequest(_))
        ));
    }
}
