/// A fixed-capacity buffer that keeps the most recent elements; memory stays bounded however
/// long a run lasts.
struct RingBuffer<Element: Sendable>: Sendable {
    private var storage: [Element] = []
    private var nextSlot = 0
    let capacity: Int

    init(capacity: Int) {
        precondition(capacity > 0, "a ring buffer needs room for one element")
        self.capacity = capacity
        self.storage.reserveCapacity(Swift.min(capacity, 1_024))
    }

    var count: Int { self.storage.count }

    mutating func append(_ element: Element) {
        if self.storage.count < self.capacity {
            self.storage.append(element)
        } else {
            self.storage[self.nextSlot] = element
        }
        self.nextSlot = (self.nextSlot + 1) % self.capacity
    }

    /// The element `age` steps back from the newest (0 is the newest).
    func element(age: Int) -> Element {
        precondition(age >= 0 && age < self.storage.count, "age \(age) outside the buffer")
        let newest = (self.nextSlot - 1 + self.capacity) % self.capacity
        let slot = (newest - age + self.capacity) % self.capacity
        return self.storage[slot]
    }
}
