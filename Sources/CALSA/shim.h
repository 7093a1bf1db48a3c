#include <alsa/asoundlib.h>

/* ALSA prints its own diagnostics ("ALSA lib pcm.c:...") to stderr through a variadic
   handler Swift cannot write. Upturn reports every error itself, in one line. */
static void upturn_alsa_quiet_handler(const char *file, int line, const char *function, int err, const char *fmt, ...) {
    (void)file; (void)line; (void)function; (void)err; (void)fmt;
}

static inline void upturn_alsa_silence_errors(void) {
    snd_lib_error_set_handler(upturn_alsa_quiet_handler);
}
