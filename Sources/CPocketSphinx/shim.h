#include <stdio.h>
#include <pocketsphinx.h>
#include <sphinxbase/err.h>

/* cmd_ln_init is variadic and does not import into Swift; cmd_ln_parse_r does. strict = 1:
   an unknown option is an error, not a warning. */
static inline cmd_ln_t *upturn_ps_config(int argc, char **argv) {
    return cmd_ln_parse_r(NULL, ps_args(), argc, argv, 1);
}

/* pocketsphinx logs every step to stderr; Upturn reports what matters itself. */
static inline void upturn_ps_silence(void) {
    err_set_logfp(NULL);
}
