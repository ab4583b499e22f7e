#include "normalize/ordered_workers.h"

#include <algorithm>

namespace custody::normalize {

OrderedWorkers::OrderedWorkers(unsigned workers, std::size_t max_in_flight)
    : max_in_flight_(std::max<std::size_t>(1, max_in_flight)) {
  threads_.reserve(workers);
  for (unsigned i = 0; i < workers; ++i) threads_.emplace_back([this] { Loop(); });
}

OrderedWorkers::~OrderedWorkers() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    queued_.clear();
  }
  work_ready_.notify_all();
  for (auto& t : threads_) t.join();
}

unsigned OrderedWorkers::DefaultWorkers(unsigned limit) {
  const unsigned hardware = std::thread::hardware_concurrency();  // 0 when unknown
  return std::clamp(hardware, 1u, std::max(1u, limit));
}

void OrderedWorkers::Loop() {
  for (;;) {
    std::shared_ptr<Job> job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_ready_.wait(lock, [this] { return stopping_ || !queued_.empty(); });
      if (stopping_) return;
      job = std::move(queued_.front());
      queued_.pop_front();
    }
    job->work();
    {
      std::lock_guard<std::mutex> lock(mu_);
      job->done = true;
    }
    // Only the submitting thread waits on this, for one particular job: wake it whichever finished.
    job_done_.notify_all();
  }
}

Status OrderedWorkers::DeliverHead() {
  std::shared_ptr<Job> job;
  {
    std::unique_lock<std::mutex> lock(mu_);
    job_done_.wait(lock, [this] { return line_.front()->done; });
    job = std::move(line_.front());
    line_.pop_front();
  }
  if (failed_) return *failed_;
  Status delivered = job->deliver();
  if (!delivered) failed_ = delivered.error();
  return delivered;
}

Status OrderedWorkers::Submit(Work work, Deliver deliver) {
  if (failed_) return *failed_;
  if (threads_.empty()) {
    work();
    Status delivered = deliver();
    if (!delivered) failed_ = delivered.error();
    return delivered;
  }
  while (line_.size() >= max_in_flight_) CUSTODY_RETURN_IF_ERROR(DeliverHead());
  auto job = std::make_shared<Job>();
  job->work = std::move(work);
  job->deliver = std::move(deliver);
  {
    std::lock_guard<std::mutex> lock(mu_);
    queued_.push_back(job);
    line_.push_back(std::move(job));
  }
  work_ready_.notify_one();
  return Status::Ok();
}

Status OrderedWorkers::Finish() {
  // Every job is waited for, delivered or not, so none still runs when this returns: a caller's
  // jobs may point at its own stack.
  while (!line_.empty()) (void)DeliverHead();
  if (failed_) return *failed_;
  return Status::Ok();
}

}  // namespace custody::normalize
