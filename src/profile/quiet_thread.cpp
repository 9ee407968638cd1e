// SCHED_FIFO and CPU pinning of the measuring thread, restored afterwards.
#include "neuralpower/quiet_thread.hpp"

#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

namespace np {

QuietThread::QuietThread(const QuietOptions& options, int threads) {
  std::string scheduling = "normal scheduling";
  if (options.realtime) {
    sched_param old{};
    if (pthread_getschedparam(pthread_self(), &old_policy_, &old) == 0) {
      old_priority_ = old.sched_priority;
      sched_param fifo{};
      fifo.sched_priority = options.priority;
      const int rc = pthread_setschedparam(pthread_self(), SCHED_FIFO, &fifo);
      if (rc == 0) {
        realtime_ = restore_policy_ = true;
        scheduling = "SCHED_FIFO priority " + std::to_string(options.priority);
      } else {
        scheduling += " (SCHED_FIFO not permitted: " + std::string(std::strerror(rc)) + ")";
      }
    }
  } else {
    scheduling += " (real-time scheduling not asked for)";
  }
  std::string pinning = "not pinned";
  if (options.pin) {
    cpu_set_t old;
    CPU_ZERO(&old);
    if (pthread_getaffinity_np(pthread_self(), sizeof(cpu_set_t), &old) == 0) {
      // The last `threads` CPUs this thread may run on.
      std::vector<int>& allowed = old_cpus_;
      for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
        if (CPU_ISSET(cpu, &old)) allowed.push_back(cpu);
      }
      const int count = std::max(threads, 1);
      if (static_cast<int>(allowed.size()) > count) {
        cpu_set_t set;
        CPU_ZERO(&set);
        std::string cpus;
        for (size_t i = allowed.size() - static_cast<size_t>(count); i < allowed.size(); ++i) {
          CPU_SET(allowed[i], &set);
          cpus += (cpus.empty() ? "" : ",") + std::to_string(allowed[i]);
        }
        const int rc = pthread_setaffinity_np(pthread_self(), sizeof(cpu_set_t), &set);
        if (rc == 0) {
          pinned_ = restore_affinity_ = true;
          pinning = (count == 1 ? "pinned to cpu " : "pinned to cpus ") + cpus;
        } else {
          pinning = "not pinned (" + std::string(std::strerror(rc)) + ")";
        }
      } else {
        pinning = "not pinned (" + std::to_string(allowed.size()) + " cpus for " +
                  std::to_string(count) + " threads)";
      }
    }
  }
  description_ = scheduling + ", " + pinning;
}

QuietThread::~QuietThread() {
  if (restore_policy_) {
    sched_param old{};
    old.sched_priority = old_priority_;
    pthread_setschedparam(pthread_self(), old_policy_, &old);
  }
  if (restore_affinity_) {
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int cpu : old_cpus_) CPU_SET(cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof(cpu_set_t), &set);
  }
}

void leave_quiet_scheduling() {
  sched_param normal{};
  normal.sched_priority = 0;
  pthread_setschedparam(pthread_self(), SCHED_OTHER, &normal);
  const long online = sysconf(_SC_NPROCESSORS_ONLN);
  cpu_set_t set;
  CPU_ZERO(&set);
  for (long cpu = 0; cpu < online && cpu < CPU_SETSIZE; ++cpu) CPU_SET(static_cast<int>(cpu), &set);
  pthread_setaffinity_np(pthread_self(), sizeof(cpu_set_t), &set);
}

}  // namespace np
