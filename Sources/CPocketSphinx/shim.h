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

#include <string.h>
#include <sphinxbase/feat.h>

/* A phrase heard again whole is heard with the cepstral mean of its own frames (batch CMN),
   not the running mean of the speech before it: pocketsphinx switches its feature
   computation to live CMN for good at the first block fed, and its full-utterance decoding
   then subtracts the mean of the last few seconds of other speech (a command 20 dB louder
   than the ones before it was heard half as often). `upturn_ps_own_mean_begin` switches to
   batch CMN and keeps the running mean in `saved` (at least `capacity` values); `_end`
   puts both back, so the running mean is as if the phrase had not been heard again.
   Returns 0, or -1 when the decoder has no CMN to switch (then nothing is changed). */
static inline int upturn_ps_own_mean_begin(ps_decoder_t *ps, mfcc_t *saved, int capacity, int *was) {
    feat_t *feat = ps_get_feat(ps);
    if (feat == NULL || feat->cmn_struct == NULL || feat->cmn == CMN_NONE) return -1;
    cmn_t *cmn = feat->cmn_struct;
    if (cmn->veclen <= 0 || cmn->veclen > capacity) return -1;
    memcpy(saved, cmn->cmn_mean, sizeof(mfcc_t) * (size_t)cmn->veclen);
    *was = (int)feat->cmn;
    feat->cmn = CMN_BATCH;
    return 0;
}

static inline void upturn_ps_own_mean_end(ps_decoder_t *ps, const mfcc_t *saved, int was) {
    feat_t *feat = ps_get_feat(ps);
    memcpy(feat->cmn_struct->cmn_mean, saved, sizeof(mfcc_t) * (size_t)feat->cmn_struct->veclen);
    feat->cmn = (cmn_type_t)was;
}
