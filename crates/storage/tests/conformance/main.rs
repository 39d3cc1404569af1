//! One conformance suite, four configurations: the embedded store and etcd,
//! each directly and behind the watch cache. Every test builds its own store
//! (etcd runs as a real process on loopback).

mod harness;
mod lists;
mod watches;
mod writes;

macro_rules! conformance {
    ($($module:ident :: $name:ident),* $(,)?) => {
        mod embedded {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { crate::$module::$name(crate::harness::Harness::new(crate::harness::Kind::Embedded, false).await).await }
            )*
        }
        mod embedded_cached {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { crate::$module::$name(crate::harness::Harness::new(crate::harness::Kind::Embedded, true).await).await }
            )*
        }
        mod etcd {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { crate::$module::$name(crate::harness::Harness::new(crate::harness::Kind::Etcd, false).await).await }
            )*
        }
        mod etcd_cached {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { crate::$module::$name(crate::harness::Harness::new(crate::harness::Kind::Etcd, true).await).await }
            )*
        }
    };
}

conformance!(
    writes::create_get_update_delete_and_their_errors,
    writes::preconditions_guard_updates_and_deletes,
    writes::an_update_that_changes_nothing_keeps_the_revision,
    writes::exactly_one_conflicting_writer_wins_each_round,
    writes::concurrent_read_modify_writes_lose_nothing,
    writes::keys_with_a_ttl_expire,
    lists::pages_of_one_list_share_a_revision_while_writes_go_on,
    lists::resource_version_semantics_of_lists_and_gets,
    lists::selectors_filter_lists,
    lists::compaction_expires_old_revisions,
    watches::watch_reports_changes_in_order_with_the_last_state_on_delete,
    watches::resuming_from_every_revision_has_no_gap_and_no_duplicate,
    watches::watch_without_revision_starts_with_the_current_state,
    watches::selectors_turn_relabels_into_added_and_deleted,
    watches::a_watcher_that_stops_reading_does_not_stall_the_others,
    watches::bookmarks_carry_the_store_revision_to_quiet_watches,
    watches::a_backend_watch_from_revision_zero_replays_all_history,
);
