// The libcap surface plus prctl(2), which Swift cannot call directly (variadic). Only static inline
// wrappers and prefixed constants; no logic.
#ifndef SC_CLIBCAP_SHIM_H
#define SC_CLIBCAP_SHIM_H
#include <sys/capability.h>
#include <sys/prctl.h>
#include <linux/prctl.h>

static const int SC_CAP_PERMITTED = CAP_PERMITTED;
static const int SC_CAP_EFFECTIVE = CAP_EFFECTIVE;
static const int SC_CAP_INHERITABLE = CAP_INHERITABLE;
static const int SC_CAP_SET = CAP_SET;
static const int SC_CAP_CLEAR = CAP_CLEAR;

/// prctl(PR_SET_KEEPCAPS, on).
static inline int sc_set_keepcaps(int on) { return prctl(PR_SET_KEEPCAPS, (unsigned long)on, 0UL, 0UL, 0UL); }
/// prctl(PR_SET_NO_NEW_PRIVS, 1).
static inline int sc_set_no_new_privs(void) { return prctl(PR_SET_NO_NEW_PRIVS, 1UL, 0UL, 0UL, 0UL); }
/// prctl(PR_GET_NO_NEW_PRIVS).
static inline int sc_get_no_new_privs(void) { return prctl(PR_GET_NO_NEW_PRIVS, 0UL, 0UL, 0UL, 0UL); }
/// prctl(PR_GET_SECUREBITS).
static inline int sc_get_securebits(void) { return prctl(PR_GET_SECUREBITS, 0UL, 0UL, 0UL, 0UL); }

#endif
