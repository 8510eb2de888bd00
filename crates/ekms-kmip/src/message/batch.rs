//! What the Batch Error Continuation Option does to the items of a batch, as a pure function.

use crate::enums::{BatchErrorContinuationOption, ResultStatus};

/// What became of one request batch item once the batch is over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ItemOutcome {
    /// Executed, succeeded, and kept: answered with its own response (Result Status Success).
    Succeeded,
    /// Executed and failed: answered with Result Status Operation Failed and its Result Reason.
    Failed,
    /// Executed and succeeded, then rolled back because a later item failed under `Undo`:
    /// answered with Result Status Operation Undone.
    Undone,
    /// Never executed because an earlier item failed under `Stop` or `Undo`: no response batch
    /// item is returned for it.
    NotExecuted,
}

impl ItemOutcome {
    /// The Result Status of its response batch item, or None when no item is returned.
    pub fn result_status(self) -> Option<ResultStatus> {
        match self {
            ItemOutcome::Succeeded => Some(ResultStatus::Success),
            ItemOutcome::Failed => Some(ResultStatus::OperationFailed),
            ItemOutcome::Undone => Some(ResultStatus::OperationUndone),
            ItemOutcome::NotExecuted => None,
        }
    }

    #[cfg(test)]
    /// True if the response carries a batch item for it.
    pub fn is_returned(self) -> bool {
        self.result_status().is_some()
    }
}

/// The option in force: the header's, or `Stop` when the header has none (the specification's
/// default).
pub fn effective_option(
    option: Option<BatchErrorContinuationOption>,
) -> BatchErrorContinuationOption {
    option.unwrap_or(BatchErrorContinuationOption::Stop)
}

/// Applies the Batch Error Continuation Option to the results of a batch.
///
/// `succeeded[i]` is whether item `i` succeeds when executed, in the order the server executes
/// them (ekms executes in request order whatever the Batch Order Option says, which the
/// specification allows: with Batch Order Option False or absent the server MAY choose any
/// order; with True it SHALL keep the request order). Results of items after the first failure
/// are not looked at under `Stop` and `Undo`, since those items are never executed; a server
/// calls this with the results it has, or decides item by item with the same rules:
///
/// - `Continue`: a failed item is answered with an error (Operation Failed) and the following
///   items are still executed; every item gets its own response.
/// - `Stop` (the default): after a failed item, no further item is executed; items completed
///   before it are not undone and are answered normally; the failed item is answered with
///   Operation Failed; items never executed get no response batch item.
/// - `Undo`: after a failed item, no further item is executed and every item completed before
///   it is undone; those are answered with Result Status Operation Undone, the failed item with
///   Operation Failed, and items never executed get no response batch item.
///
/// KMIP 1.x only names the three behaviours; KMIP 2.x adds the response rules, though the
/// closing sentences of its enumeration table appear rotated between the three rows (its
/// `Continue` row speaks of items undone, its `Undo` row of items not processed): the rules
/// above read each sentence with the option it describes.
///
/// `Undo` requires a server that can roll back every operation of the batch. A server that
/// honours it must execute the whole batch as one unit (ekms: one database transaction for the
/// batch instead of one per operation, rolled back at the first failure, with no effect outside
/// the transaction such as an object handed to another group) and answer as above. A server
/// that cannot roll back must not execute any item of an `Undo` batch: it refuses the request
/// (Operation Failed with Result Reason Feature Not Supported is this crate's suggestion, the
/// specification names none), and Query advertises whether undo is available through the
/// Batch Undo Capability of its Capability Information (KMIP 1.3+).
///
/// The specification also says the option SHALL only be present when Batch Count is greater
/// than 1; with a single item every option gives the same result, so ekms accepts it there.
pub fn batch_outcomes(
    option: Option<BatchErrorContinuationOption>,
    succeeded: &[bool],
) -> Vec<ItemOutcome> {
    let option = effective_option(option);
    let mut out = Vec::with_capacity(succeeded.len());
    let mut failed = false;
    for &ok in succeeded {
        let outcome = if failed {
            ItemOutcome::NotExecuted
        } else if ok {
            ItemOutcome::Succeeded
        } else {
            if option != BatchErrorContinuationOption::Continue {
                failed = true;
            }
            ItemOutcome::Failed
        };
        out.push(outcome);
    }
    if failed && option == BatchErrorContinuationOption::Undo {
        for o in out.iter_mut() {
            if *o == ItemOutcome::Succeeded {
                *o = ItemOutcome::Undone;
            }
        }
    }
    out
}

/// True if the server executes the next item after a failed one.
pub fn continues_after_failure(option: Option<BatchErrorContinuationOption>) -> bool {
    effective_option(option) == BatchErrorContinuationOption::Continue
}

/// True if a failure rolls back the items already executed.
pub fn undoes_on_failure(option: Option<BatchErrorContinuationOption>) -> bool {
    effective_option(option) == BatchErrorContinuationOption::Undo
}
