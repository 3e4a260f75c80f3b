#include <zlib.h>

// deflateInit2/inflateInit2 are macros that Swift does not import; these pass the library's
// own version and stream size, as the macros do.
static inline int czlib_deflate_init(z_streamp stream, int level, int window_bits, int mem_level) {
    return deflateInit2_(stream, level, Z_DEFLATED, window_bits, mem_level, Z_DEFAULT_STRATEGY,
                         ZLIB_VERSION, (int)sizeof(z_stream));
}

static inline int czlib_inflate_init(z_streamp stream, int window_bits) {
    return inflateInit2_(stream, window_bits, ZLIB_VERSION, (int)sizeof(z_stream));
}
