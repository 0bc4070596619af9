/* The callbacks QEMU runs outside a vCPU's translated code (vcpu_init,
 * vcpu_exit, syscall, syscall return), held off the plugin's exit.
 *
 * linux-user ends the process from any thread (exit_group, a fatal
 * signal): QEMU unregisters the callbacks and stops the vCPUs running
 * translated code, then runs the plugin's exit there. A vCPU inside one of
 * these callbacks is not stopped: it went on appending to its stream while
 * the exit callback flushed it and tt_writer_close freed it (a
 * heap-use-after-free under make sanitize, on the main thread's stream).
 * Each of them is bracketed:
 *
 *   if (!exitguard_enter(vcpu))
 *       return;                 // the plugin has ended: nothing to record
 *   ...
 *   exitguard_leave(vcpu);
 *
 * and the exit callback calls exitguard_end() before it touches what they
 * use. Two atomic operations a call, on a count of the vCPU's own: not
 * for the hot path. */
#ifndef TCGTRACE_EXITGUARD_H
#define TCGTRACE_EXITGUARD_H

#include <stdbool.h>

/* At install (linux-user): a forked child starts with no callback under
 * way. */
void exitguard_init(void);
/* false once exitguard_end has begun: the callback does nothing, and does
 * not call exitguard_leave. */
bool exitguard_enter(unsigned vcpu);
void exitguard_leave(unsigned vcpu);
/* Makes later exitguard_enter calls fail and waits for the callbacks under
 * way to leave (up to a second: see exitguard.c). Not from inside one. */
void exitguard_end(void);

#endif
