// libFuzzer's driver, for the fuzz targets' entry points (see Fuzz/README.md, "Why an entry point").
// The definition comes from clang's libFuzzer runtime, linked by `-sanitize=fuzzer`.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*UserCb)(const uint8_t *Data, size_t Size));
