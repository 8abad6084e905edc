//! The delivery loop's bookkeeping: the queue of requests to send, the split pairs and their
//! siblings' fates, and what was accepted or not.

use std::collections::{HashMap, VecDeque};

use super::{Delivery, Failed, MAX_EXTRA_SPLITS, Reason};
use crate::coralogix::batch::Request;
use crate::coralogix::retry::{Fatal, Problem};

/// A request to send, and the split it came from.
pub(super) struct Work {
    pub(super) request: Request,
    pub(super) half_of: Option<Half>,
    /// A single entry sent again with its `text` as a string, after it was refused as JSON.
    pub(super) as_text: bool,
}

#[derive(Clone)]
pub(super) struct Half {
    pub(super) pair: u64,
    /// The refusal that split the parent.
    pub(super) parent: Problem,
}

/// How one request's attempts ended.
pub(super) enum Ending {
    Accepted { work: Work },
    Refused { work: Work, problem: Problem },
    Failed { work: Work, reason: Reason },
}

pub(super) struct Sent {
    pub(super) ending: Ending,
    pub(super) posts: usize,
}

/// What is known of a split pair while its halves are out.
enum Pair {
    /// Neither half has been refused as the parent was.
    Open,
    /// One half was refused as the parent was; it waits for its sibling.
    Holding(Work),
    /// One half was refused as the parent was and failed; the sibling fails likewise.
    BothRefused,
    /// One half did something else: the other splits on as usual.
    Settled,
}

pub(super) struct State {
    pub(super) out: Delivery,
    pub(super) queue: VecDeque<Work>,
    pairs: HashMap<u64, Pair>,
    next_pair: u64,
    pub(super) received: usize,
    pub(super) fatal: Option<Fatal>,
}

impl State {
    pub(super) fn new() -> Self {
        State {
            out: Delivery::default(),
            queue: VecDeque::new(),
            pairs: HashMap::new(),
            next_pair: 0,
            received: 0,
            fatal: None,
        }
    }

    pub(super) fn fail(&mut self, request: &Request, reason: Reason) {
        if let Reason::Fatal(fatal) = &reason {
            self.fatal.get_or_insert_with(|| fatal.clone());
        }
        self.out.failed.push(Failed {
            entries: request.entry_range(),
            reason,
        });
    }

    /// Fails what waits to be sent, when a fatal answer came or the handler is stopping.
    pub(super) fn fail_queue(&mut self, stopping: bool) {
        let reason = match (&self.fatal, stopping) {
            (_, true) | (None, false) => Reason::Stopping,
            (Some(fatal), false) => Reason::NotSent(fatal.clone()),
        };
        while let Some(work) = self.queue.pop_front() {
            self.fail(&work.request, reason.clone());
        }
        let held: Vec<Work> = self
            .pairs
            .drain()
            .filter_map(|(_, p)| match p {
                Pair::Holding(w) => Some(w),
                _ => None,
            })
            .collect();
        for work in held {
            self.fail(&work.request, reason.clone());
        }
    }

    pub(super) fn settle(&mut self, sent: Sent) {
        self.out.posts += sent.posts;
        self.out.retries += sent.posts.saturating_sub(1);
        match sent.ending {
            Ending::Accepted { work } => {
                self.sibling_settled(&work);
                self.out.accepted += work.request.len() as u64;
                self.out.accepted_bytes += work.request.body().len();
            }
            Ending::Failed { work, reason } => {
                self.sibling_settled(&work);
                self.fail(&work.request, reason);
            }
            Ending::Refused { work, problem } => self.refused(work, problem),
        }
    }

    /// A half of a pair ended some other way than being refused as its parent was.
    pub(super) fn sibling_settled(&mut self, work: &Work) {
        let Some(half) = &work.half_of else { return };
        match self.pairs.insert(half.pair, Pair::Settled) {
            Some(Pair::Holding(held)) => {
                self.pairs.remove(&half.pair);
                let problem = held_problem(&held);
                self.split(held.request, problem);
            }
            Some(Pair::BothRefused) | Some(Pair::Settled) => {
                self.pairs.remove(&half.pair);
            }
            _ => {}
        }
    }

    pub(super) fn refused(&mut self, work: Work, problem: Problem) {
        // A 413 is about size: halves refused again are split again. Any other refusal
        // repeated for both halves is about the requests, not their entries.
        let too_large = matches!(problem, Problem::Status { status: 413, .. });
        let same_as_parent = work
            .half_of
            .as_ref()
            .filter(|h| !too_large && h.parent == problem);
        if let Some(half) = same_as_parent.cloned() {
            match self.pairs.remove(&half.pair) {
                Some(Pair::Holding(sibling)) => {
                    // Both halves refused exactly as the whole: not about particular entries.
                    self.fail(&sibling.request, Reason::RequestsRefused(problem.clone()));
                    self.fail(&work.request, Reason::RequestsRefused(problem));
                    return;
                }
                Some(Pair::BothRefused) => {
                    self.fail(&work.request, Reason::RequestsRefused(problem));
                    return;
                }
                Some(Pair::Settled) => {}
                Some(Pair::Open) | None => {
                    if work.request.len() == 1 {
                        self.pairs.insert(half.pair, Pair::BothRefused);
                        self.refuse_entry(work, problem);
                    } else {
                        self.pairs.insert(half.pair, Pair::Holding(work));
                    }
                    return;
                }
            }
        } else {
            self.sibling_settled(&work);
        }
        if work.request.len() < 2 {
            self.refuse_entry(work, problem);
            return;
        }
        self.split(work.request, problem);
    }

    /// One entry refused: sent once more with its `text` as a string (Coralogix may refuse
    /// what a record's JSON holds, a number beyond its range, a key it does not take, while the
    /// same text as a string is just text), then a permanent failure.
    pub(super) fn refuse_entry(&mut self, work: Work, problem: Problem) {
        let too_large = matches!(problem, Problem::Status { status: 413, .. });
        if !work.as_text && !too_large {
            let entry = work.request.entries().next().expect("one entry");
            if let Some(as_text) = text_as_string(entry) {
                self.out.as_text += 1;
                self.queue.push_front(Work {
                    request: Request::from_entries(
                        work.request.entry_range().start,
                        [&as_text[..]],
                    ),
                    half_of: None,
                    as_text: true,
                });
                return;
            }
        }
        self.fail(&work.request, Reason::EntryRefused(problem));
    }

    pub(super) fn split(&mut self, request: Request, problem: Problem) {
        if self.out.splits >= self.received + MAX_EXTRA_SPLITS {
            self.fail(&request, Reason::TooManySplits(problem));
            return;
        }
        self.out.splits += 1;
        let pair = self.next_pair;
        self.next_pair += 1;
        self.pairs.insert(pair, Pair::Open);
        let (a, b) = request.split();
        for half in [b, a] {
            self.queue.push_front(Work {
                request: half,
                half_of: Some(Half {
                    pair,
                    parent: problem.clone(),
                }),
                as_text: false,
            });
        }
    }
}

/// The entry with its `text` object written as a JSON string of the same text, or `None` when
/// its text is not an object. Entries are written with `text` last (`…,"text":{…}}`).
pub(super) fn text_as_string(entry: &[u8]) -> Option<Vec<u8>> {
    const KEY: &[u8] = b",\"text\":{";
    let at = memchr::memmem::rfind(entry, KEY)?;
    let text = std::str::from_utf8(&entry[at + KEY.len() - 1..entry.len() - 1]).ok()?;
    let mut out = entry[..at + KEY.len() - 1].to_vec();
    serde_json::to_writer(&mut out, text).ok()?;
    out.push(b'}');
    Some(out)
}

fn held_problem(work: &Work) -> Problem {
    work.half_of
        .as_ref()
        .map(|h| h.parent.clone())
        .expect("only halves are held")
}
