/*
 * ipxe-wrapper: a tiny UEFI application that carries iPXE and a boot script in two extra PE
 * sections of its own (".ipxe" and ".script", appended per download by the service) and starts
 * that iPXE with the script as its command line. iPXE runs its EFI LoadOptions as a script after
 * dropping the first word, so one .efi file boots straight into the farmer's script.
 *
 * A third section, ".device", says which device iPXE is "loaded from": "self" (the device this
 * file was loaded from) or "network" (the first firmware network device). snponly.efi drives only
 * the network device it was loaded from, so it needs "network".
 *
 * Layout read here: PE/COFF (Microsoft PE Format, "COFF File Header", "Section Table").
 */
#include <efi.h>
#include <efilib.h>

/* Finds section NAME in our own loaded image; VirtualSize is the payload's exact length. */
static EFI_STATUS find_section(EFI_LOADED_IMAGE *self, const char *name, UINT8 **data, UINTN *size)
{
	UINT8 *base = self->ImageBase;
	UINT32 pe = *(UINT32 *)(base + 0x3c);                  /* e_lfanew */
	UINT16 count = *(UINT16 *)(base + pe + 4 + 2);          /* NumberOfSections */
	UINT16 optional = *(UINT16 *)(base + pe + 4 + 16);      /* SizeOfOptionalHeader */
	UINT8 *section = base + pe + 4 + 20 + optional;

	for (UINT16 i = 0; i < count; i++, section += 40) {
		UINTN n = 0;
		while (n < 8 && name[n] && section[n] == (UINT8)name[n])
			n++;
		if ((n == 8 || !name[n]) && (n == 8 || section[n] == 0)) {
			*size = *(UINT32 *)(section + 8);              /* VirtualSize */
			*data = base + *(UINT32 *)(section + 12);       /* VirtualAddress */
			return EFI_SUCCESS;
		}
	}
	return EFI_NOT_FOUND;
}

/* The first handle with the Simple Network Protocol: a NIC that the firmware drives. */
static EFI_HANDLE network_device(void)
{
	EFI_HANDLE *handles = NULL, first;
	UINTN count = 0;

	if (EFI_ERROR(LibLocateHandle(ByProtocol, &SimpleNetworkProtocol, NULL, &count, &handles)) || count == 0)
		return NULL;
	first = handles[0];
	FreePool(handles);
	return first;
}

static EFI_STATUS fail(const CHAR16 *what, EFI_STATUS status)
{
	Print(L"ipxe-wrapper: %s: %r\n", what, status);
	uefi_call_wrapper(BS->Stall, 1, 10 * 1000 * 1000);
	return status;
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *system_table)
{
	EFI_LOADED_IMAGE *self, *child_image;
	EFI_HANDLE child;
	EFI_HANDLE device;
	UINT8 *ipxe, *script, *which;
	UINTN ipxe_size, script_size, which_size;
	EFI_STATUS status;
	static const CHAR16 argv0[] = L"ipxe.efi ";
	UINTN prefix = sizeof(argv0) / sizeof(CHAR16) - 1;
	CHAR16 *options;

	InitializeLib(image, system_table);
	status = uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol, (void **)&self);
	if (EFI_ERROR(status))
		return fail(L"no loaded-image protocol", status);
	status = find_section(self, ".ipxe", &ipxe, &ipxe_size);
	if (EFI_ERROR(status))
		return fail(L"no .ipxe section (not packed by the service?)", status);
	status = find_section(self, ".script", &script, &script_size);
	if (EFI_ERROR(status))
		return fail(L"no .script section", status);

	/* iPXE needs a device handle (it fails with "Invalid parameter" without one). For a buffer,
	 * LoadImage takes the handle owning the longest prefix of the path we give: give a file path
	 * on the chosen device. */
	device = self->DeviceHandle;
	if (!EFI_ERROR(find_section(self, ".device", &which, &which_size)) && which_size == 7 &&
	    CompareMem(which, "network", 7) == 0) {
		device = network_device();
		if (!device) {
			Print(L"ipxe-wrapper: the firmware drives no network device; starting iPXE anyway\n");
			device = self->DeviceHandle;
		}
	}
	status = uefi_call_wrapper(BS->LoadImage, 6, FALSE, image, FileDevicePath(device, L"\\ipxe.efi"),
				   ipxe, ipxe_size, &child);
	if (EFI_ERROR(status))
		return fail(L"loading iPXE", status);
	status = uefi_call_wrapper(BS->HandleProtocol, 3, child, &LoadedImageProtocol, (void **)&child_image);
	if (EFI_ERROR(status))
		return fail(L"iPXE has no loaded-image protocol", status);

	/* LoadOptions: UCS-2 "ipxe.efi " + script, NUL-terminated, in pool memory. */
	options = AllocatePool((prefix + script_size + 1) * sizeof(CHAR16));
	if (!options)
		return fail(L"allocating the command line", EFI_OUT_OF_RESOURCES);
	for (UINTN i = 0; i < prefix; i++)
		options[i] = argv0[i];
	for (UINTN i = 0; i < script_size; i++)
		options[prefix + i] = script[i];
	options[prefix + script_size] = 0;
	child_image->LoadOptions = options;
	child_image->LoadOptionsSize = (prefix + script_size + 1) * sizeof(CHAR16);

	status = uefi_call_wrapper(BS->StartImage, 3, child, NULL, NULL);
	if (EFI_ERROR(status))
		return fail(L"iPXE exited", status);
	return EFI_SUCCESS;
}
