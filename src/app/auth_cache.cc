// CredentialCache: bounded, constant-time compared credentials (auth_cache.h).
#include "app/auth_cache.h"

#include "app/auth.h"

namespace agx {

CredentialCache::CredentialCache(std::size_t capacity) : capacity_(capacity) {
  entries_.reserve(capacity_);
}

bool CredentialCache::ContainsLocked(std::size_t key, std::string_view credential) const {
  bool hit = false;
  for (const Entry& e : entries_) {
    // The full compare is constant-time; the key only skips entries that cannot match.
    if (e.key == key && ConstantTimeEquals(e.credential, credential)) hit = true;
  }
  return hit;
}

bool CredentialCache::Contains(std::size_t key, std::string_view credential) const {
  std::lock_guard lock(mu_);
  return ContainsLocked(key, credential);
}

void CredentialCache::Insert(std::size_t key, std::string_view credential) {
  std::lock_guard lock(mu_);
  if (capacity_ == 0 || ContainsLocked(key, credential)) return;  // present: raced
  if (entries_.size() < capacity_) {
    entries_.push_back({key, std::string(credential)});
    return;
  }
  entries_[next_] = {key, std::string(credential)};
  next_ = (next_ + 1) % capacity_;
}

std::size_t CredentialCache::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace agx
