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

#include <unistd.h>
#include <errno.h>
#include <sys/wait.h>
#include <signal.h>

/* pocketsphinx ends the process (exit(1) in E_FATAL) on a damaged model file. Loading it
   first in a child process, which only calls pocketsphinx and then _exit, keeps that exit
   out of the player: returns 0 when the model loads, else the child's status (-1: no child).
   The child writes pocketsphinx's log to log_path, so the caller can name the file. */
static inline int upturn_ps_probe(int argc, char **argv, const char *log_path) {
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        FILE *log = fopen(log_path, "w");
        err_set_logfp(log);
        cmd_ln_t *config = cmd_ln_parse_r(NULL, ps_args(), argc, argv, 1);
        if (config == NULL) _exit(3);
        ps_decoder_t *decoder = ps_init(config);
        if (log) fflush(log);
        _exit(decoder == NULL ? 2 : 0);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return -1;
    }
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}
