/// A fixed-capacity buffer that keeps the most recent elements; memory stays bounded however
/// long a run lasts.
///
/// The elements live in a class so that an append never copies the whole window: profiles of
/// long runs showed every append into the generator's buffer (held inside a `Mutex`) copying all
/// earlier elements, which made request generation quadratic. Copies of a `RingBuffer` therefore
/// share their elements; its one user, `WorkloadGenerator`, is only ever used under a lock.
struct RingBuffer<Element: Sendable>: @unchecked Sendable {
    private final class Storage {
        var elements: [Element] = []
        var nextSlot = 0
    }

    private let storage = Storage()
    let capacity: Int

    init(capacity: Int) {
        precondition(capacity > 0, "a ring buffer needs room for one element")
        self.capacity = capacity
        self.storage.elements.reserveCapacity(capacity)
    }

    var count: Int { self.storage.elements.count }

    func append(_ element: Element) {
        if self.storage.elements.count < self.capacity {
            self.storage.elements.append(element)
        } else {
            self.storage.elements[self.storage.nextSlot] = element
        }
        self.storage.nextSlot = (self.storage.nextSlot + 1) % self.capacity
    }

    /// The element `age` steps back from the newest (0 is the newest).
    func element(age: Int) -> Element {
        precondition(age >= 0 && age < self.storage.elements.count, "age \(age) outside the buffer")
        let newest = (self.storage.nextSlot - 1 + self.capacity) % self.capacity
        let slot = (newest - age + self.capacity) % self.capacity
        return self.storage.elements[slot]
    }
}
