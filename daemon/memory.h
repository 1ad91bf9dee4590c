// Keeping a small pod small (issue 14): what the daemon does about memory
// between cycles. A cycle on a repository of 10,000 workloads allocates tens
// of MiB (every workload, every YAML tree one at a time, the plan); glibc
// keeps freed memory in its arenas, one per thread that allocated, so the
// process would stay at its peak. After each cycle (and each git poll that
// found nothing new) the daemon drops libgit2's object and delta-base caches
// (GitRepo::ReleaseCaches: the clone is reopened) and hands free memory back
// to the kernel (malloc_trim), and it caps the arenas at two at start: the
// scanner's and the HTTP server's threads then share them instead of each
// keeping a private pool. What a cycle holds is kept small where it is made:
// the scan keeps only what planning reads of each workload
// (daemon/plan.h TrimForPlanning), tag filters are parsed once per spec and
// shared, registry scan targets are one per repository.
#pragma once

namespace tagflow::daemon {

// mallopt(M_ARENA_MAX, 2). Call once at start, before threads exist.
void LimitMallocArenas();

// malloc_trim(0): returns free heap pages to the kernel. Costs about a
// millisecond per 10 MiB; called after a cycle, never during one.
void ReleaseFreeMemory();

}  // namespace tagflow::daemon
