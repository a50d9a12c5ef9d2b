/* vzctl console: relay a VM's serial console to the terminal. */
#ifndef VZ_CLI_CONSOLE_H
#define VZ_CLI_CONSOLE_H

/* Copy between stdin/stdout and @fd until the user types Esc then '.' (at
 * the start of input or after Enter), the VM goes away, or (input not a
 * terminal) stdin ended and the console was quiet for two seconds. */
void vz_console_relay(int fd);

#endif
