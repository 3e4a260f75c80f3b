/* A hiredis event adapter for libuv, after hiredis's adapters/libuv.h. The one change: a poll
 * error (libuv reports a refused or reset connect as a status, with no events) is handed to
 * hiredis as readiness, so hiredis finds the socket error and calls the connect or disconnect
 * callback; the shipped 0.14 adapter returns there and the connection hangs unreported. */
#include <stdlib.h>
#include <string.h>
#include <uv.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include "CRedisUV.h"

typedef struct {
    redisAsyncContext *context;
    uv_poll_t handle;
    int events;
} wlive_redis_events;

static void on_poll(uv_poll_t *handle, int status, int events) {
    wlive_redis_events *p = handle->data;
    if (status != 0) {
        /* Let hiredis see the error on the socket: it reads or writes, fails and disconnects. */
        events = p->events & UV_WRITABLE ? UV_WRITABLE : UV_READABLE;
    }
    if (p->context != NULL && (events & UV_READABLE)) redisAsyncHandleRead(p->context);
    if (p->context != NULL && (events & UV_WRITABLE)) redisAsyncHandleWrite(p->context);
}

static void update(wlive_redis_events *p) {
    if (p->events) {
        uv_poll_start(&p->handle, p->events, on_poll);
    } else {
        uv_poll_stop(&p->handle);
    }
}

static void add_read(void *data) { wlive_redis_events *p = data; p->events |= UV_READABLE; update(p); }
static void del_read(void *data) { wlive_redis_events *p = data; p->events &= ~UV_READABLE; update(p); }
static void add_write(void *data) { wlive_redis_events *p = data; p->events |= UV_WRITABLE; update(p); }
static void del_write(void *data) { wlive_redis_events *p = data; p->events &= ~UV_WRITABLE; update(p); }

static void on_close(uv_handle_t *handle) { free(handle->data); }

static void cleanup(void *data) {
    wlive_redis_events *p = data;
    p->context = NULL; /* hiredis frees the context after this returns */
    uv_close((uv_handle_t *)&p->handle, on_close);
}

int wlive_redis_attach(void *context, void *loop) {
    redisAsyncContext *ac = context;
    if (ac->ev.data != NULL) return -1;
    wlive_redis_events *p = calloc(1, sizeof(*p));
    if (p == NULL) return -1;
    if (uv_poll_init(loop, &p->handle, ac->c.fd) != 0) {
        free(p);
        return -1;
    }
    p->handle.data = p;
    p->context = ac;
    ac->ev.addRead = add_read;
    ac->ev.delRead = del_read;
    ac->ev.addWrite = add_write;
    ac->ev.delWrite = del_write;
    ac->ev.cleanup = cleanup;
    ac->ev.data = p;
    return 0;
}
