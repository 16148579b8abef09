// OpenSSL's message digests (libcrypto, Debian's libssl-dev), for SHA-256 of files: the system's
// library, hardware-accelerated, instead of compiling a cryptography package for one hash.
#include <openssl/evp.h>
