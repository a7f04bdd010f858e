#include "cluster/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace alike::cluster {

Result<std::unique_ptr<Subprocess>> Subprocess::Start(std::vector<std::string> argv,
                                                      const std::string& log_path) {
  if (argv.empty()) return Status::InvalidArgument("Subprocess::Start: no program given");
  // Prepared before forking: the child of a threaded process must not allocate.
  std::vector<char*> c_argv;
  for (std::string& arg : argv) c_argv.push_back(arg.data());
  c_argv.push_back(nullptr);
  const pid_t parent = getpid();
  // Closed in the child by its exec (or exit): Start returns only once the child set its death
  // signal, so a thread that ends right after Start still takes its child with it.
  int started[2];
  if (pipe2(started, O_CLOEXEC) != 0) {
    return Status::IOError("cannot make a pipe to run " + argv[0] + ": " + strerror(errno));
  }
  const pid_t pid = fork();
  if (pid < 0) {
    close(started[0]);
    close(started[1]);
    return Status::IOError("cannot fork to run " + argv[0] + ": " + strerror(errno));
  }
  if (pid == 0) {
    close(started[0]);
    // Killed when the thread that started it ends, so that a test or benchmark that fails and
    // exits (or crashes) leaves no server running; the parent may have ended before the call.
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) _exit(127);
    const int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
    }
    execv(c_argv[0], c_argv.data());
    _exit(127);
  }
  close(started[1]);
  char byte;
  while (read(started[0], &byte, 1) < 0 && errno == EINTR) {
  }
  close(started[0]);
  return std::unique_ptr<Subprocess>(new Subprocess(pid));
}

Subprocess::~Subprocess() { Kill(); }

void Subprocess::Kill() {
  if (exited_) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  exited_ = true;
}

bool Subprocess::Running() {
  if (!exited_ && waitpid(pid_, nullptr, WNOHANG) == pid_) exited_ = true;
  return !exited_;
}

}  // namespace alike::cluster
