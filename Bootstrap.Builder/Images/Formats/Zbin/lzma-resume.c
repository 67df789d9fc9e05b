/*
 * lzma-resume: raw LZMA1 compression of inputs that share a long fixed prefix, without compressing
 * the prefix again for each one.
 *
 * Why: a BIOS .lkrn's embedded script sits 87% into a 1 MB LZMA stream, so compressing all of it
 * per request costs ~300 ms, and liblzma cannot copy an encoder. Each worker thread here feeds the
 * prefix to its own streaming encoder once and then snapshots that encoder's memory: every block
 * liblzma allocated (through our allocator, so we know them all) and the lzma_stream. A request
 * finishes the encoder with its tail, which gives the same bytes as compressing the whole input at
 * once (liblzma's output does not depend on how input is split into lzma_code() calls); then the
 * worker copies the snapshot back. The encoder's tables stay at the same addresses, so the state
 * is restored exactly, and memory copies replace the ~70 us page faults a fork() per request costs
 * on a VM. Pages not yet touched at the snapshot are all zero (fresh anonymous memory), so the
 * restore zeroes those the request touched; pages are locked as touched where allowed, so none is
 * swapped out with data between its first write and the snapshot.
 *
 * Usage: lzma-resume SOCKET WORKERS PRESET LC LP PB
 *   stdin:  u32 little-endian prefix length, the prefix; then stdin stays open: EOF stops the helper.
 *   stdout: "ready\n" once every worker holds its snapshot and SOCKET (a Unix stream socket) listens.
 *   request:  u32 little-endian tail length, the tail.
 *   response: u32 status (0 = ok, else an lzma_ret), u32 length, then the whole compressed stream
 *             (the prefix's part and the tail's).
 * The options are iPXE's zbin ones (util/zbin.c: lzma_lzma_preset(PRESET) then lc, lp, pb).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <lzma.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_INPUT (64u << 20)
#define MAX_BLOCKS 256

struct block { uint8_t *start; size_t size; };
struct span { uint8_t *start; size_t size; uint8_t *saved; };   /* saved == NULL: zero at the snapshot */

struct worker {
    lzma_stream stream;
    lzma_allocator allocator;
    struct block blocks[MAX_BLOCKS];
    int block_count;
    int frozen;                  /* after the snapshot: liblzma must not allocate or free any more */
    int broken;
    lzma_stream saved_stream;
    struct span *spans;
    size_t span_count;
    uint8_t *compressed;         /* the stream so far: the prefix's part, then a request's tail's */
    size_t compressed_size, compressed_capacity, prefix_compressed_size;
};

static lzma_options_lzma options;
static const uint8_t *prefix;
static uint32_t prefix_size;
static int listener;
static long page;
static pthread_mutex_t ready_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready_changed = PTHREAD_COND_INITIALIZER;
static int workers_ready, workers_failed;

static void *track_alloc(void *opaque, size_t count, size_t size) {
    struct worker *w = opaque;
    void *block = malloc(count * size);
    if (w->frozen || w->block_count == MAX_BLOCKS)
        w->broken = 1;
    else if (block)
        w->blocks[w->block_count++] = (struct block){ block, count * size };
    return block;
}

static void track_free(void *opaque, void *block) {
    struct worker *w = opaque;
    if (w->frozen)
        w->broken = 1;
    for (int i = 0; i < w->block_count; i++)
        if (w->blocks[i].start == block)
            w->blocks[i] = w->blocks[--w->block_count];
    free(block);
}

static int read_exactly(int fd, void *buffer, size_t size) {
    uint8_t *at = buffer;
    while (size > 0) {
        ssize_t n = read(fd, at, size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        at += n;
        size -= (size_t)n;
    }
    return 0;
}

static int write_all(int fd, const void *buffer, size_t size) {
    const uint8_t *at = buffer;
    while (size > 0) {
        ssize_t n = send(fd, at, size, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        at += n;
        size -= (size_t)n;
    }
    return 0;
}

static uint8_t *read_block(int fd, uint32_t *size) {
    uint8_t header[4];
    if (read_exactly(fd, header, 4) != 0)
        return NULL;
    *size = header[0] | header[1] << 8 | header[2] << 16 | (uint32_t)header[3] << 24;
    if (*size > MAX_INPUT)
        return NULL;
    uint8_t *block = malloc(*size ? *size : 1);
    if (block && read_exactly(fd, block, *size) != 0) {
        free(block);
        return NULL;
    }
    return block;
}

/* Runs the encoder over input (LZMA_RUN or LZMA_FINISH), appending to the worker's stream. The
 * output room always exceeds LZMA's worst case for the input: in LZMA_RUN, liblzma encodes only
 * while it still has input to take, so a full output buffer would leave the prefix partly unencoded. */
static lzma_ret encode(struct worker *w, const uint8_t *input, size_t size, lzma_action action) {
    size_t needed = w->compressed_size + size + size / 4 + 65536;
    if (w->compressed_capacity < needed) {
        uint8_t *larger = realloc(w->compressed, needed);
        if (!larger)
            return LZMA_MEM_ERROR;
        w->compressed = larger;
        w->compressed_capacity = needed;
    }
    w->stream.next_in = input;
    w->stream.avail_in = size;
    w->stream.next_out = w->compressed + w->compressed_size;
    w->stream.avail_out = w->compressed_capacity - w->compressed_size;
    lzma_ret status;
    do
        status = lzma_code(&w->stream, action);
    while (status == LZMA_OK && action == LZMA_FINISH && w->stream.avail_out > 0);
    w->compressed_size = (size_t)(w->stream.next_out - w->compressed);
    if (status == LZMA_STREAM_END || (status == LZMA_OK && action == LZMA_RUN && w->stream.avail_out > 0))
        return LZMA_OK;
    return status == LZMA_OK ? LZMA_BUF_ERROR : status;
}

static int add_span(struct worker *w, uint8_t *start, size_t size, int resident) {
    struct span *more = realloc(w->spans, (w->span_count + 1) * sizeof *more);
    if (!more)
        return -1;
    w->spans = more;
    struct span *s = &w->spans[w->span_count++];
    *s = (struct span){ start, size, NULL };
    if (resident) {
        if (!(s->saved = malloc(size)))
            return -1;
        memcpy(s->saved, start, size);
    }
    return 0;
}

/* Splits each block into runs of pages resident or not, and copies the resident ones. */
static int snapshot(struct worker *w) {
    w->saved_stream = w->stream;
    w->prefix_compressed_size = w->compressed_size;
    for (int i = 0; i < w->block_count; i++) {
        uint8_t *start = w->blocks[i].start, *end = start + w->blocks[i].size;
        uint8_t *first_page = (uint8_t *)((uintptr_t)start & ~(uintptr_t)(page - 1));
        size_t pages = (size_t)(end - first_page + page - 1) / (size_t)page;
        unsigned char *resident = malloc(pages);
        if (!resident || mincore(first_page, pages * (size_t)page, resident) != 0)
            return -1;
        size_t run = 0;
        for (size_t p = 1; p <= pages; p++)
            if (p == pages || (resident[p] & 1) != (resident[run] & 1)) {
                uint8_t *from = first_page + run * (size_t)page, *to = first_page + p * (size_t)page;
                if (from < start) from = start;
                if (to > end) to = end;
                if (add_span(w, from, (size_t)(to - from), resident[run] & 1) != 0)
                    return -1;
                run = p;
            }
        free(resident);
    }
    w->frozen = 1;
    return 0;
}

/* Puts the encoder back to the snapshot: resident spans copied back, pages touched since in the
 * others zeroed (each such span is whole pages, except where a block begins or ends). */
static int restore(struct worker *w) {
    for (size_t i = 0; i < w->span_count; i++) {
        struct span *s = &w->spans[i];
        if (s->saved) {
            memcpy(s->start, s->saved, s->size);
            continue;
        }
        uint8_t *first_page = (uint8_t *)((uintptr_t)s->start & ~(uintptr_t)(page - 1));
        size_t pages = (size_t)(s->start + s->size - first_page + page - 1) / (size_t)page;
        unsigned char resident[4096];
        for (size_t done = 0; done < pages; done += sizeof resident) {
            size_t count = pages - done < sizeof resident ? pages - done : sizeof resident;
            uint8_t *from = first_page + done * (size_t)page;
            if (mincore(from, count * (size_t)page, resident) != 0)
                return -1;
            for (size_t p = 0; p < count; p++)
                if (resident[p] & 1) {
                    uint8_t *a = from + p * (size_t)page, *b = a + page;
                    if (a < s->start) a = s->start;
                    if (b > s->start + s->size) b = s->start + s->size;
                    memset(a, 0, (size_t)(b - a));
                }
        }
    }
    w->stream = w->saved_stream;
    w->compressed_size = w->prefix_compressed_size;
    return w->broken ? -1 : 0;
}

static void serve(struct worker *w, int client) {
    uint32_t tail_size;
    uint8_t *tail = read_block(client, &tail_size);
    lzma_ret status = tail ? encode(w, tail, tail_size, LZMA_FINISH) : LZMA_DATA_ERROR;
    free(tail);
    if (w->broken)
        status = LZMA_PROG_ERROR;
    uint32_t length = status == LZMA_OK ? (uint32_t)w->compressed_size : 0;
    uint8_t header[8] = { (uint8_t)status, 0, 0, 0, (uint8_t)length, (uint8_t)(length >> 8), (uint8_t)(length >> 16), (uint8_t)(length >> 24) };
    if (write_all(client, header, 8) == 0 && length > 0)
        write_all(client, w->compressed, length);
    close(client);
}

static void *run_worker(void *unused) {
    (void)unused;
    struct worker *w = calloc(1, sizeof *w);
    int ok = w != NULL;
    if (ok) {
        w->allocator = (lzma_allocator){ track_alloc, track_free, w };
        w->stream = (lzma_stream)LZMA_STREAM_INIT;
        w->stream.allocator = &w->allocator;
        lzma_filter filters[] = { { LZMA_FILTER_LZMA1, &options }, { LZMA_VLI_UNKNOWN, NULL } };
        ok = lzma_raw_encoder(&w->stream, filters) == LZMA_OK && encode(w, prefix, prefix_size, LZMA_RUN) == LZMA_OK
             && !w->broken && snapshot(w) == 0;
    }
    pthread_mutex_lock(&ready_lock);
    if (ok) workers_ready++; else workers_failed++;
    pthread_cond_broadcast(&ready_changed);
    pthread_mutex_unlock(&ready_lock);
    if (!ok) {
        fprintf(stderr, "lzma-resume: a worker could not compress the prefix\n");
        return NULL;
    }
    for (;;) {
        int client = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
        if (client < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            break;
        }
        serve(w, client);
        if (restore(w) != 0) {
            fprintf(stderr, "lzma-resume: a worker's encoder changed shape; stopping\n");
            exit(1);   /* the service compresses in-process from now on */
        }
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 7) {
        fprintf(stderr, "usage: lzma-resume SOCKET WORKERS PRESET LC LP PB\n");
        return 2;
    }
    const char *socket_path = argv[1];
    int workers = atoi(argv[2]);
    struct sockaddr_un address = { .sun_family = AF_UNIX };
    if (workers < 1 || workers > 64 || strlen(socket_path) >= sizeof address.sun_path) {
        fprintf(stderr, "lzma-resume: WORKERS must be 1..64 and SOCKET a short path\n");
        return 2;
    }
    if (lzma_lzma_preset(&options, (uint32_t)strtoul(argv[3], NULL, 0))) {
        fprintf(stderr, "lzma-resume: no preset %s\n", argv[3]);
        return 2;
    }
    options.lc = (uint32_t)atoi(argv[4]);
    options.lp = (uint32_t)atoi(argv[5]);
    options.pb = (uint32_t)atoi(argv[6]);
    page = sysconf(_SC_PAGESIZE);
    signal(SIGPIPE, SIG_IGN);   /* a client that hangs up early costs its answer, not the helper */
    mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT);   /* best effort: see the top of this file */
    uint8_t *input = read_block(0, &prefix_size);
    if (!input) {
        fprintf(stderr, "lzma-resume: no prefix on stdin (a u32 length, then the bytes)\n");
        return 2;
    }
    prefix = input;

    listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    strcpy(address.sun_path, socket_path);
    unlink(socket_path);
    if (listener < 0 || bind(listener, (struct sockaddr *)&address, sizeof address) != 0 || listen(listener, 64) != 0) {
        fprintf(stderr, "lzma-resume: %s: %s\n", socket_path, strerror(errno));
        return 1;
    }
    for (int i = 0; i < workers; i++) {
        pthread_t thread;
        if (pthread_create(&thread, NULL, run_worker, NULL) != 0) {
            fprintf(stderr, "lzma-resume: no thread: %s\n", strerror(errno));
            return 1;
        }
        pthread_detach(thread);
    }
    pthread_mutex_lock(&ready_lock);
    while (workers_ready + workers_failed < workers)
        pthread_cond_wait(&ready_changed, &ready_lock);
    int failed = workers_failed;
    pthread_mutex_unlock(&ready_lock);
    if (failed || write(1, "ready\n", 6) != 6) {
        unlink(socket_path);
        return 1;
    }
    char byte;
    ssize_t n;
    while ((n = read(0, &byte, 1)) > 0 || (n < 0 && errno == EINTR))   /* until the service closes our stdin */
        ;
    unlink(socket_path);
    return 0;
}
