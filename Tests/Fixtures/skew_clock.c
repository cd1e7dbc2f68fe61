// Runs a process with its wall clock shifted by SKEW_CLOCK_SECONDS (LD_PRELOAD), for the
// clock-skew fault test.
//
// Why not libfaketime: under it, librdkafka's timed waits go wrong (with -2 days its idempotent
// producer never gets a producer id from the broker; with +2 days its consumer never joins), so
// the service never becomes ready and nothing about *our* handling of time can be observed. This
// shim shifts CLOCK_REALTIME, gettimeofday and time for every caller except librdkafka, whose
// wall-clock readings feed pthread deadlines the kernel measures on the real clock.
//
// Build: clang -shared -fPIC -O2 -o skew_clock.so skew_clock.c -ldl

#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static long long skew_ns(void) {
    static long long value;
    static int read;
    if (!read) {
        const char *text = getenv("SKEW_CLOCK_SECONDS");
        value = text ? (long long)(atof(text) * 1e9) : 0;
        read = 1;
    }
    return value;
}

static int caller_is_shifted(void *address) {
    Dl_info info;
    if (!dladdr(address, &info) || !info.dli_fname) return 1;
    return strstr(info.dli_fname, "librdkafka") == NULL;
}

static void shift(struct timespec *ts) {
    long long ns = (long long)ts->tv_sec * 1000000000LL + ts->tv_nsec + skew_ns();
    ts->tv_sec = ns / 1000000000LL;
    ts->tv_nsec = ns % 1000000000LL;
}

int clock_gettime(clockid_t id, struct timespec *ts) {
    static int (*real)(clockid_t, struct timespec *);
    if (!real) real = dlsym(RTLD_NEXT, "clock_gettime");
    int result = real(id, ts);
    if (result == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE) && caller_is_shifted(__builtin_return_address(0))) shift(ts);
    return result;
}

static int shifted_gettimeofday(struct timeval *tv, void *tz, void *caller) {
    static int (*real)(struct timeval *, void *);
    if (!real) real = dlsym(RTLD_NEXT, "gettimeofday");
    int result = real(tv, tz);
    if (result == 0 && tv && caller_is_shifted(caller)) {
        struct timespec ts = {tv->tv_sec, tv->tv_usec * 1000};
        shift(&ts);
        tv->tv_sec = ts.tv_sec;
        tv->tv_usec = ts.tv_nsec / 1000;
    }
    return result;
}

int gettimeofday(struct timeval *tv, void *tz) {
    return shifted_gettimeofday(tv, tz, __builtin_return_address(0));
}

time_t time(time_t *out) {
    struct timeval tv;
    shifted_gettimeofday(&tv, NULL, __builtin_return_address(0));
    if (out) *out = tv.tv_sec;
    return tv.tv_sec;
}
