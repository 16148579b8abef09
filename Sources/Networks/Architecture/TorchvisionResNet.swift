/// torchvision's ResNet-18 (`torchvision.models.resnet18`) as a `loupe.arch/1` architecture
/// whose tensor names are its `state_dict` keys, so that a state_dict saved with safetensors
/// opens with it: a 7×7 stem of stride 2 with batchnorm and a padded 3×3 max-pooling, four
/// stages of two BasicBlocks (64, 128, 256, 512 channels; the first block of each later stage
/// of stride 2 with a 1×1 downsampling shortcut), global average pooling and a linear head.
/// Each block's output is named as torch names the block (`layer1.0`, …, `layer4.1`).
public enum TorchvisionResNet {
    public static func resnet18(classes: Int = 1000, input: [Int] = [3, 224, 224], batchnormEps: Double = 1e-5) -> ArchitectureSpec {
        func conv(_ name: String, out: Int, kernel: Int, stride: Int, padding: Int, reading input: String? = nil) -> LayerSpec {
            var s = LayerSpec(name: name, kind: "conv2d", weight: "\(name).weight")
            (s.out, s.kernel, s.stride, s.padding) = (out, IntPair(kernel), IntPair(stride), IntPair(padding))
            s.inputs = input.map { [$0] }
            return s
        }
        func batchnorm(_ name: String) -> LayerSpec {
            var s = LayerSpec(name: name, kind: "batchnorm", weight: "\(name).weight", bias: "\(name).bias")
            (s.runningMean, s.runningVar, s.eps) = ("\(name).running_mean", "\(name).running_var", batchnormEps)
            return s
        }
        var pool = LayerSpec(name: "maxpool", kind: "maxpool2d")
        (pool.kernel, pool.stride, pool.padding) = (IntPair(3), IntPair(2), IntPair(1))
        var layers = [
            conv("conv1", out: 64, kernel: 7, stride: 2, padding: 3), batchnorm("bn1"), LayerSpec(name: "relu", kind: "relu"), pool
        ]
        var previous = "maxpool"
        for (stage, channels) in [64, 128, 256, 512].enumerated() {
            for block in 0..<2 {
                let p = "layer\(stage + 1).\(block)"
                let stride = stage > 0 && block == 0 ? 2 : 1
                layers += [
                    conv("\(p).conv1", out: channels, kernel: 3, stride: stride, padding: 1, reading: previous), batchnorm("\(p).bn1"),
                    LayerSpec(name: "\(p).relu1", kind: "relu"), conv("\(p).conv2", out: channels, kernel: 3, stride: 1, padding: 1),
                    batchnorm("\(p).bn2")
                ]
                var shortcut = previous
                if stride != 1 {
                    layers += [
                        conv("\(p).downsample.0", out: channels, kernel: 1, stride: stride, padding: 0, reading: previous),
                        batchnorm("\(p).downsample.1")
                    ]
                    shortcut = "\(p).downsample.1"
                }
                var add = LayerSpec(name: "\(p).add", kind: "add")
                add.inputs = [shortcut, "\(p).bn2"]
                layers += [add, LayerSpec(name: p, kind: "relu")]
                previous = p
            }
        }
        var fc = LayerSpec(name: "fc", kind: "linear", weight: "fc.weight", bias: "fc.bias")
        fc.out = classes
        layers += [LayerSpec(name: "avgpool", kind: "adaptive_avgpool2d"), LayerSpec(name: "flatten", kind: "flatten"), fc]
        return ArchitectureSpec(name: "resnet18", input: InputSpec(shape: input), layers: layers)
    }
}
