/* tcgtrace races: not built yet (see the issue that owns it). */
#include "cmd.h"

int cmd_races(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    msg_error("not implemented yet");
    return 1;
}
