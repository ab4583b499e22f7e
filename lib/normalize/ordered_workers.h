#pragma once
// Work on a few threads, results in order. Jobs run on worker threads, several at once and in any
// order; each job's delivery then runs on the thread that submitted it, in the order the jobs were
// submitted. So what the deliveries write lands in the same order, byte for byte, whatever the
// number of workers and however the threads are scheduled: a collector can map rows to records
// on every core and still add them to the timeline in row order.
//
// At most max_in_flight jobs are queued, running or waiting for their delivery at any time (Submit
// delivers finished ones to make room), which bounds the memory the jobs hold.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/error.h"

namespace custody::normalize {

class OrderedWorkers {
 public:
  using Work = std::function<void()>;
  using Deliver = std::function<Status()>;

  // workers == 0 runs each job and then its delivery inside Submit, on the caller's thread.
  // max_in_flight is at least 1.
  OrderedWorkers(unsigned workers, std::size_t max_in_flight);
  // Stops the workers: a running job finishes, queued ones never start and nothing more is
  // delivered. A caller that wants every delivery calls Finish first.
  ~OrderedWorkers();
  OrderedWorkers(const OrderedWorkers&) = delete;
  OrderedWorkers& operator=(const OrderedWorkers&) = delete;

  // Queues a job, first delivering finished jobs from the head of the line while there is no room.
  // After a delivery has failed, no other job is delivered: Submit queues nothing and returns that
  // first error, as every later call does.
  Status Submit(Work work, Deliver deliver);
  // Waits for every job submitted and delivers, in order, those not delivered yet (none after a
  // failed delivery). Returns the first delivery error. Submit may be called again afterwards.
  Status Finish();

  // How many workers to use on this machine: its hardware threads, at least 1 and at most limit.
  static unsigned DefaultWorkers(unsigned limit);

 private:
  struct Job {
    Work work;
    Deliver deliver;
    bool done = false;
  };

  void Loop();
  // Waits for the oldest undelivered job to finish and delivers it (or drops it after an error).
  Status DeliverHead();

  const std::size_t max_in_flight_;
  std::mutex mu_;
  std::condition_variable work_ready_;  // a job was queued, or the workers must stop
  std::condition_variable job_done_;    // a job finished
  std::deque<std::shared_ptr<Job>> queued_;  // not started yet; the workers take from the front
  std::deque<std::shared_ptr<Job>> line_;    // submitted, not delivered yet: submission order
  bool stopping_ = false;
  std::optional<Error> failed_;  // the first delivery error; touched by the submitting thread only
  std::vector<std::thread> threads_;
};

}  // namespace custody::normalize
