#pragma once
// CredentialCache: a bounded set of exact "user:password" credentials whose bcrypt check
// already gave an answer, so that the answer is not paid for again (auth.h keeps one for
// credentials that verified and one for credentials that were refused).
// The users and hashes never change while the process runs, so an answer stays true; the
// cache only bounds memory: at most `capacity` entries, the oldest replaced first.
// Every lookup compares whole credentials in constant time (the key only skips entries
// that cannot match). Thread-safe: one mutex.
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace agx {

class CredentialCache {
 public:
  explicit CredentialCache(std::size_t capacity);

  /// `key` is std::hash of `credential` (computed once by the caller for both caches).
  bool Contains(std::size_t key, std::string_view credential) const;
  /// Adds `credential` unless present, replacing the oldest entry when full.
  void Insert(std::size_t key, std::string_view credential);
  std::size_t size() const;

 private:
  struct Entry {
    std::size_t key = 0;     // std::hash of the credential, to skip most compares
    std::string credential;  // the exact "user:password"
  };
  bool ContainsLocked(std::size_t key, std::string_view credential) const;

  const std::size_t capacity_;
  mutable std::mutex mu_;
  std::vector<Entry> entries_;  // guarded by mu_, at most capacity_
  std::size_t next_ = 0;        // guarded by mu_; the slot replaced next when full
};

}  // namespace agx
