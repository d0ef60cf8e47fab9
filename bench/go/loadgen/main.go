// The ingest benchmark's load generator, in grpc-go like deployed instances: N RecordEvents
// streams, each with at most W unanswered payloads, sending pre-encoded payloads from a file.
// Before each send it patches every event's id (unique, random-looking) and timestamp seconds
// (now) in a copy of the template, so every event is new to the store and recent.
//
// Payload file: u32 count, then count x (u32 length, bytes); the first message is the metadata
// request. Patch file: per payload, u32 event count, then per event u32 id offset, u32 seconds offset.
package main

import (
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/context"
	"google.golang.org/grpc"
)

type rawCodec struct{}

func (rawCodec) Marshal(v interface{}) ([]byte, error)      { return *(v.(*[]byte)), nil }
func (rawCodec) Unmarshal(data []byte, v interface{}) error { *(v.(*[]byte)) = append([]byte(nil), data...); return nil }
func (rawCodec) Name() string                               { return "proto" }

type patch struct{ id, seconds []uint32 }

func readMessages(path string) [][]byte {
	data, err := os.ReadFile(path)
	check(err)
	n := binary.LittleEndian.Uint32(data)
	pos := 4
	out := make([][]byte, 0, n)
	for i := uint32(0); i < n; i++ {
		l := int(binary.LittleEndian.Uint32(data[pos:]))
		pos += 4
		out = append(out, data[pos:pos+l])
		pos += l
	}
	return out
}

func readPatches(path string, n int) []patch {
	data, err := os.ReadFile(path)
	check(err)
	pos := 0
	u32 := func() uint32 { v := binary.LittleEndian.Uint32(data[pos:]); pos += 4; return v }
	out := make([]patch, n)
	for i := range out {
		count := int(u32())
		out[i] = patch{make([]uint32, count), make([]uint32, count)}
		for j := 0; j < count; j++ {
			out[i].id[j] = u32()
			out[i].seconds[j] = u32()
		}
	}
	return out
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

var counter uint64

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

const hexdigits = "0123456789abcdef"

// fill copies the template and makes its events new: 16 random-looking hex digits at the start
// of each id, and the current time as a 5-byte varint for each timestamp's seconds.
func fill(template []byte, p patch, now int64) []byte {
	out := append([]byte(nil), template...)
	for j, off := range p.id {
		h := splitmix(atomic.AddUint64(&counter, 1))
		for k := 0; k < 16; k++ {
			d := (h >> (4 * uint(k))) & 15
			c := out[int(off)+k]
			if c == '-' {
				continue
			}
			out[int(off)+k] = hexdigits[d]
		}
		s := uint64(now)
		so := int(p.seconds[j])
		for k := 0; k < 4; k++ {
			out[so+k] = byte(s&0x7f) | 0x80
			s >>= 7
		}
		out[so+4] = byte(s & 0x7f)
	}
	return out
}

func main() {
	target := flag.String("target", "", "host:port")
	messagesPath := flag.String("payloads", "", "payload file")
	patchesPath := flag.String("patches", "", "patch file")
	streams := flag.Int("streams", 8, "concurrent streams")
	window := flag.Int("window", 4, "unanswered payloads per stream")
	seconds := flag.Float64("seconds", 10, "how long to send")
	rate := flag.Float64("rate", 0, "events/s over all streams (0: as fast as acknowledged)")
	flag.Parse()

	messages := readMessages(*messagesPath)
	metadata, payloads := messages[0], messages[1:]
	patches := readPatches(*patchesPath, len(payloads))
	eventsPer := len(patches[0].id)

	conns := make([]*grpc.ClientConn, *streams)
	for i := range conns {
		conn, err := grpc.Dial(*target, grpc.WithInsecure(), grpc.WithDefaultCallOptions(grpc.ForceCodec(rawCodec{}), grpc.MaxCallRecvMsgSize(64<<20)))
		check(err)
		conns[i] = conn
	}
	desc := &grpc.StreamDesc{StreamName: "RecordEvents", ServerStreams: true, ClientStreams: true}
	var mu sync.Mutex
	var latencies []float64
	var acked int64
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(time.Duration(*seconds * float64(time.Second)))
	interval := time.Duration(0)
	if *rate > 0 {
		interval = time.Duration(float64(time.Second) * float64(eventsPer) * float64(*streams) / *rate)
	}
	for s := 0; s < *streams; s++ {
		wg.Add(1)
		go func(s int) {
			defer wg.Done()
			stream, err := conns[s].NewStream(context.Background(), desc, "/telemetrygateway.v1.TelemeteryGatewayService/RecordEvents")
			check(err)
			md := metadata
			check(stream.SendMsg(&md))
			slots := make(chan struct{}, *window)
			sent := make(chan time.Time, 1<<16)
			done := make(chan struct{})
			go func() {
				defer close(done)
				for {
					var resp []byte
					if err := stream.RecvMsg(&resp); err != nil {
						if err != io.EOF {
							fmt.Fprintln(os.Stderr, "stream", s, err)
						}
						return
					}
					t := <-sent
					mu.Lock()
					latencies = append(latencies, float64(time.Since(t).Microseconds())/1000)
					mu.Unlock()
					atomic.AddInt64(&acked, int64(countIds(resp)))
					<-slots
				}
			}()
			next := time.Now().Add(time.Duration(s) * interval / time.Duration(*streams))
			for i := 0; time.Now().Before(deadline); i++ {
				if interval > 0 {
					if d := time.Until(next); d > 0 {
						time.Sleep(d)
					}
					next = next.Add(interval)
				}
				slots <- struct{}{}
				p := (s*7919 + i) % len(payloads)
				msg := fill(payloads[p], patches[p], time.Now().Unix())
				sent <- time.Now()
				if err := stream.SendMsg(&msg); err != nil {
					fmt.Fprintln(os.Stderr, "send", err)
					break
				}
			}
			check(stream.CloseSend())
			<-done
		}(s)
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	sort.Float64s(latencies)
	pct := func(p float64) float64 {
		if len(latencies) == 0 {
			return 0
		}
		i := int(p / 100 * float64(len(latencies)))
		if i >= len(latencies) {
			i = len(latencies) - 1
		}
		return latencies[i]
	}
	out, _ := json.Marshal(map[string]interface{}{
		"events": acked, "seconds": elapsed, "eventsPerSecond": float64(acked) / elapsed,
		"payloadAckLatencyMs": map[string]float64{"p50": pct(50), "p99": pct(99)}, "payloads": len(latencies),
	})
	fmt.Println(string(out))
}

// countIds counts the repeated string field 1 entries of a RecordEventsResponse.
func countIds(b []byte) int {
	n := 0
	for pos := 0; pos < len(b); {
		pos++ // tag 0x0a
		l, k := binary.Uvarint(b[pos:])
		pos += k + int(l)
		n++
	}
	return n
}
