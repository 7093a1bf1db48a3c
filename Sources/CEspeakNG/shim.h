#include <espeak-ng/espeak_ng.h>
#include <espeak-ng/speak_lib.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/types.h>

/* espeak-ng 1.51 carries state from one utterance to the next that no call resets (the pitch
   flutter's phase, a function-static in wavegen.c, and more): the same text comes out some
   samples longer or shorter, and different, after different texts. So every utterance is made
   in a child process forked from one whose espeak-ng has only been initialized: each starts
   from the same state, and a prompt's samples are a function of its text and voice alone.
   Setting a voice or a parameter (in the parent) carries nothing of what was said before:
   measured, the same text after other voices were set comes out sample for sample the same.
   The child runs this C code only (no Swift runtime), writes native-endian int16 samples to
   the pipe, and _exits: 0 done, 4 synthesis failed, 5 the parent went away. */

static int upturn_espeak_child_fd = -1;

static int upturn_espeak_child_callback(short *wav, int count, espeak_EVENT *events) {
    (void)events;
    if (wav == NULL || count <= 0) return 0;
    const char *bytes = (const char *)wav;
    size_t left = (size_t)count * sizeof(short);
    while (left > 0) {
        ssize_t n = write(upturn_espeak_child_fd, bytes, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) _exit(5);
        bytes += n;
        left -= (size_t)n;
    }
    return 0;
}

/* Starts the child, which speaks `text` with the voice and parameters this process set;
   returns its pid and the pipe's reading end in *read_fd, or -1. */
static inline pid_t upturn_espeak_spawn(const char *text, int *read_fd) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        signal(SIGPIPE, SIG_DFL);
        upturn_espeak_child_fd = fds[1];
        espeak_SetSynthCallback(upturn_espeak_child_callback);
        espeak_ng_STATUS status = espeak_ng_Synthesize(text, strlen(text) + 1, 0, POS_CHARACTER, 0, espeakCHARS_UTF8, NULL, NULL);
        _exit(status == ENS_OK ? 0 : 4);
    }
    close(fds[1]);
    *read_fd = fds[0];
    return pid;
}
