// Crash tests run their writer in a forked child that reports acknowledged work through a pipe,
// so the parent can kill it at any moment and still know what was acknowledged.
#ifndef ALIKE_TESTS_TESTING_CHILD_PROCESS_H_
#define ALIKE_TESTS_TESTING_CHILD_PROCESS_H_

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>

namespace alike::test {

struct Child {
  pid_t pid = -1;
  int read_fd = -1;  // the parent's end of the pipe; the caller closes it
};

// Forks. The child runs `body` with the pipe's write end and must end with _exit, never return
// (it would run the rest of the test suite in a second process).
inline Child ForkWithPipe(const std::function<void(int write_fd)>& body) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  EXPECT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    body(fds[1]);
    _exit(100);  // the body broke its contract
  }
  close(fds[1]);
  return {pid, fds[0]};
}

// Waits for the child to end and returns its wait status.
inline int WaitFor(const Child& child) {
  int status = 0;
  waitpid(child.pid, &status, 0);
  return status;
}

}  // namespace alike::test

#endif  // ALIKE_TESTS_TESTING_CHILD_PROCESS_H_
