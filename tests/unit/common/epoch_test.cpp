#include "common/epoch.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace lmsgw::epoch {
namespace {

struct Node {
  static constexpr std::uint64_t kAlive = 0xA11FEA11FEA11FEull;
  std::uint64_t marker = kAlive;
  int value = 0;
  ~Node() { marker = 0xDEADDEADDEADDEADull; }
};

TEST(EpochDomain, FreesRetiredObjectsOnceNoReaderCanSeeThem) {
  Domain domain;
  int freed = 0;
  struct Counted {
    int* freed;
    ~Counted() { ++*freed; }
  };
  {
    Domain::ReadGuard reader(domain);
    domain.retire(new Counted{&freed});
    // A reader who entered before the retirement may still hold it.
    EXPECT_EQ(freed, 0);
    EXPECT_EQ(domain.pending(), 1u);
  }
  domain.retire(new Counted{&freed});  // the next retirement reclaims what became safe
  EXPECT_EQ(freed, 2);
  EXPECT_EQ(domain.pending(), 0u);
}

TEST(EpochDomain, NestedGuardsKeepTheOuterSection) {
  Domain domain;
  int freed = 0;
  struct Counted {
    int* freed;
    ~Counted() { ++*freed; }
  };
  Domain::ReadGuard outer(domain);
  { Domain::ReadGuard inner(domain); }
  domain.retire(new Counted{&freed});
  EXPECT_EQ(freed, 0);
}

// Readers follow a published pointer while a writer keeps replacing and retiring it; a
// reader must never see a destroyed node.
TEST(EpochDomain, ReadersNeverSeeFreedObjectsUnderConcurrentReplacement) {
  Domain domain;
  std::atomic<const Node*> published{new Node};
  std::atomic<bool> stop{false};
  std::atomic<long> reads{0};
  std::atomic<long> bad{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        Domain::ReadGuard guard(domain);
        const Node* node = published.load(std::memory_order_seq_cst);
        if (node->marker != Node::kAlive) bad.fetch_add(1);
        reads.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  // Replace only once readers are reading, however slowly the scheduler starts them.
  while (reads.load() < 300) std::this_thread::yield();
  for (int i = 0; i < 20000; ++i) {
    auto* next = new Node;
    next->value = i;
    const Node* old = published.exchange(next, std::memory_order_seq_cst);
    domain.retire(old);
  }
  stop = true;
  for (auto& reader : readers) reader.join();
  delete published.load();
  EXPECT_EQ(bad.load(), 0);
  // With every reader gone, the next retirement frees everything still held back.
  domain.retire(new Node);
  EXPECT_EQ(domain.pending(), 0u);
}

}  // namespace
}  // namespace lmsgw::epoch
