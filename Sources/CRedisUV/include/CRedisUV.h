#ifndef WLIVE_CREDISUV_H
#define WLIVE_CREDISUV_H

/* Attaches a hiredis async context (redisAsyncContext *) to a libuv loop (uv_loop_t *): hiredis
 * reads and writes when the socket is ready, on the loop's thread. Typed as void * so that this
 * header brings neither hiredis's nor libuv's declarations into a second Swift module.
 * Returns 0, or -1 when the context has an adapter already or the poll handle cannot be made. */
int wlive_redis_attach(void *context, void *loop);

#endif
