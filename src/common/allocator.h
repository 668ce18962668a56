#pragma once
// Allocator tuning for a long-running server on a small VM (glibc malloc).
#include <cstddef>

namespace agx {

/// Keeps request-sized buffers in the heap and gives scrape-sized ones back to the OS:
///  - blocks of 4 MiB and more (a /metrics body from about 25k series up, a scrape's large
///    arrays) are mmap'ed and unmapped when freed. glibc's default raises this threshold to
///    the largest block freed so far, after which a 17 MB /metrics body stays in the heap;
///  - smaller blocks (a push body of a few thousand events, its write-ahead log record)
///    are reused from the heap, which keeps up to 16 MiB free at its top instead of giving
///    it back at once. Mapping fresh pages for every request costs a page fault per 4 KiB,
///    and unmapping them a TLB shootdown; on a virtual machine that was 3/4 of the push
///    path's CPU (256 KiB threshold: 350k events/s; 4 MiB with this trim threshold: 1M);
///  - at most 2 malloc arenas: glibc's default, 8 per core, lets each of the 16 HTTP
///    worker threads keep its own arena of freed scrape and request buffers (measured at
///    100k series: 91 MB RSS after ten scrapes with 4 arenas, 71 MB with 2).
/// The warm ingest path does not allocate, so fewer arenas cost it nothing. Settings given
/// in the environment (MALLOC_ARENA_MAX, MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_)
/// win. Call once at start, before threads start. A no-op on other C libraries.
void TuneAllocator();

/// Asks the kernel to back the large buffer [data, data + size) with transparent huge pages
/// where it can (Linux, THP in "madvise" or "always" mode): a 17 MB /metrics body is then
/// faulted in 2 MiB at a time instead of 4 KiB. Call before the buffer is first written;
/// buffers under 4 MiB are left alone. A hint: failures are ignored. Thread-safe.
void AdviseHugePages(void* data, std::size_t size);

}  // namespace agx
