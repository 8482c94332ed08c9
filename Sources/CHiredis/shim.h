#ifndef CHIREDIS_SHIM_H
#define CHIREDIS_SHIM_H
#include <hiredis/hiredis.h>

/* Swift imports the fixed-size errstr array as a tuple; this hands it over as a C string. */
static inline const char *CHiredis_errstr(const redisContext *context) {
    return context->errstr;
}

#endif
