//! Stack statuses, typed: the SDK's [`StackStatus`] and what each means to an operation that
//! waits for it or starts from it (after cloudformatious' `StackStatus`). The rest of the
//! lifecycle asks these questions; no status is matched as a string anywhere else.

pub use aws_sdk_cloudformation::types::{ResourceStatus, StackStatus};

/// What a status says about the stack's last operation.
pub trait StackStatusExt {
    /// No operation is running: the status will not change by itself.
    fn is_settled(&self) -> bool;
    /// Settled, and the last create, update or delete did not happen (a rollback, or a
    /// `*_FAILED`).
    fn is_failed(&self) -> bool;
    /// Settled, and the last create, update, delete or import happened.
    fn is_succeeded(&self) -> bool {
        self.is_settled() && !self.is_failed()
    }
}

impl StackStatusExt for StackStatus {
    fn is_settled(&self) -> bool {
        use StackStatus as S;
        match self {
            S::CreateInProgress
            | S::DeleteInProgress
            | S::ImportInProgress
            | S::ImportRollbackInProgress
            | S::ReviewInProgress
            | S::RollbackInProgress
            | S::UpdateCompleteCleanupInProgress
            | S::UpdateInProgress
            | S::UpdateRollbackCompleteCleanupInProgress
            | S::UpdateRollbackInProgress => false,
            S::CreateComplete
            | S::CreateFailed
            | S::DeleteComplete
            | S::DeleteFailed
            | S::ImportComplete
            | S::ImportRollbackComplete
            | S::ImportRollbackFailed
            | S::RollbackComplete
            | S::RollbackFailed
            | S::UpdateComplete
            | S::UpdateFailed
            | S::UpdateRollbackComplete
            | S::UpdateRollbackFailed => true,
            // A status newer than this SDK: CloudFormation's naming says whether it runs.
            other => !other.as_str().ends_with("_IN_PROGRESS"),
        }
    }

    fn is_failed(&self) -> bool {
        use StackStatus as S;
        self.is_settled()
            && !matches!(
                self,
                S::CreateComplete | S::UpdateComplete | S::DeleteComplete | S::ImportComplete
            )
    }
}

/// Whether a resource event says the resource reached its goal, or failed to.
pub trait ResourceStatusExt {
    /// `*_COMPLETE` (a step done, rollbacks included).
    fn is_complete(&self) -> bool;
    /// `*_FAILED`.
    fn is_failed(&self) -> bool;
}

impl ResourceStatusExt for ResourceStatus {
    fn is_complete(&self) -> bool {
        use ResourceStatus as R;
        match self {
            R::CreateComplete
            | R::DeleteComplete
            | R::ExportComplete
            | R::ExportRollbackComplete
            | R::ImportComplete
            | R::ImportRollbackComplete
            | R::RollbackComplete
            | R::UpdateComplete
            | R::UpdateRollbackComplete => true,
            R::CreateFailed
            | R::CreateInProgress
            | R::DeleteFailed
            | R::DeleteInProgress
            | R::DeleteSkipped
            | R::ExportFailed
            | R::ExportInProgress
            | R::ExportRollbackFailed
            | R::ExportRollbackInProgress
            | R::ImportFailed
            | R::ImportInProgress
            | R::ImportRollbackFailed
            | R::ImportRollbackInProgress
            | R::RollbackFailed
            | R::RollbackInProgress
            | R::UpdateFailed
            | R::UpdateInProgress
            | R::UpdateRollbackFailed
            | R::UpdateRollbackInProgress => false,
            other => other.as_str().ends_with("_COMPLETE"),
        }
    }

    fn is_failed(&self) -> bool {
        use ResourceStatus as R;
        match self {
            R::CreateFailed
            | R::DeleteFailed
            | R::ExportFailed
            | R::ExportRollbackFailed
            | R::ImportFailed
            | R::ImportRollbackFailed
            | R::RollbackFailed
            | R::UpdateFailed
            | R::UpdateRollbackFailed => true,
            R::CreateComplete
            | R::CreateInProgress
            | R::DeleteComplete
            | R::DeleteInProgress
            | R::DeleteSkipped
            | R::ExportComplete
            | R::ExportInProgress
            | R::ExportRollbackComplete
            | R::ExportRollbackInProgress
            | R::ImportComplete
            | R::ImportInProgress
            | R::ImportRollbackComplete
            | R::ImportRollbackInProgress
            | R::RollbackComplete
            | R::RollbackInProgress
            | R::UpdateComplete
            | R::UpdateInProgress
            | R::UpdateRollbackComplete
            | R::UpdateRollbackInProgress => false,
            other => other.as_str().ends_with("_FAILED"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_progress_statuses_are_not_settled() {
        for s in [
            "UPDATE_IN_PROGRESS",
            "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
            "REVIEW_IN_PROGRESS",
        ] {
            assert!(!StackStatus::from(s).is_settled(), "{s}");
        }
        assert!(StackStatus::from("CREATE_COMPLETE").is_settled());
    }

    #[test]
    fn rollbacks_and_failures_are_failed_and_completions_succeeded() {
        for s in [
            "ROLLBACK_COMPLETE",
            "UPDATE_ROLLBACK_COMPLETE",
            "DELETE_FAILED",
            "UPDATE_FAILED",
        ] {
            assert!(StackStatus::from(s).is_failed(), "{s}");
        }
        for s in [
            "CREATE_COMPLETE",
            "UPDATE_COMPLETE",
            "DELETE_COMPLETE",
            "IMPORT_COMPLETE",
        ] {
            assert!(StackStatus::from(s).is_succeeded(), "{s}");
        }
    }

    #[test]
    fn an_unknown_status_is_judged_by_its_name() {
        assert!(!StackStatus::from("MIGRATE_IN_PROGRESS").is_settled());
        assert!(StackStatus::from("MIGRATE_FAILED").is_failed());
    }

    #[test]
    fn resource_events_are_complete_or_failed() {
        assert!(ResourceStatus::from("CREATE_COMPLETE").is_complete());
        assert!(!ResourceStatus::from("CREATE_COMPLETE").is_failed());
        assert!(ResourceStatus::from("UPDATE_FAILED").is_failed());
        assert!(!ResourceStatus::from("UPDATE_IN_PROGRESS").is_complete());
        assert!(!ResourceStatus::from("UPDATE_IN_PROGRESS").is_failed());
    }
}
