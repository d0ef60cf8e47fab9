// An ack-only RecordEvents server in grpc-go: it decodes every request with the Go protobuf
// runtime (what the deployed gateway uses) and acknowledges every event id, storing nothing.
// The ingest benchmark runs the same load against it and against the gateway, so the
// gateway's figure is a ratio to what the transport and decoding alone allow on this machine.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"tgwbench/pb"
)

// rawCodec hands the handler the wire bytes, so decoding is the handler's, measured like the gateway's.
type rawCodec struct{}

func (rawCodec) Marshal(v interface{}) ([]byte, error)      { return *(v.(*[]byte)), nil }
func (rawCodec) Unmarshal(data []byte, v interface{}) error { *(v.(*[]byte)) = append([]byte(nil), data...); return nil }
func (rawCodec) String() string                             { return "proto" }

func recordEvents(_ interface{}, stream grpc.ServerStream) error {
	for {
		var in []byte
		if err := stream.RecvMsg(&in); err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
		var req pb.RecordEventsRequest
		if err := proto.Unmarshal(in, &req); err != nil {
			return err
		}
		events := req.GetEvents()
		if events == nil {
			continue
		}
		resp := &pb.RecordEventsResponse{SucceededEvents: make([]string, 0, len(events.Events))}
		for _, e := range events.Events {
			resp.SucceededEvents = append(resp.SucceededEvents, e.Id)
		}
		out, err := proto.Marshal(resp)
		if err != nil {
			return err
		}
		if err := stream.SendMsg(&out); err != nil {
			return err
		}
	}
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address")
	flag.Parse()
	lis, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	server := grpc.NewServer(grpc.CustomCodec(rawCodec{}), grpc.MaxRecvMsgSize(16<<20))
	server.RegisterService(&grpc.ServiceDesc{
		ServiceName: "telemetrygateway.v1.TelemeteryGatewayService",
		HandlerType: (*interface{})(nil),
		Streams: []grpc.StreamDesc{{
			StreamName: "RecordEvents", Handler: recordEvents, ServerStreams: true, ClientStreams: true,
		}},
	}, struct{}{})
	fmt.Println(lis.Addr().String())
	if err := server.Serve(lis); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
